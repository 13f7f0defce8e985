/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VARIANT's wire form on the command line, for tests/interop/test-interop-oaut-wire.py
 * (impacket's NDR encoder against ours):
 *   oaut-wire pull HEX     pulls a top-level wireVARIANT (its ID, then wireVARIANTStr)
 *                          and prints what it holds, one fact a line (below);
 *                          exit 1 with the error when the bytes are refused
 *   oaut-wire push KIND    prints the hex of a VARIANT holding a fixed array:
 *                          i4 [10, -20, 30] from 0, bstr ["alpha", "", "gamma"] from 1,
 *                          variant [I4 7, BSTR "seven", BOOL true] from 0; or a record:
 *                          record (VT_RECORD Named {id 42, name "hello"}), record-array
 *                          (VT_ARRAY|VT_RECORD of Named [{1, "a"}, {2, NULL}] from 0)
 * Records' types come from the type library $RECORDS_TLB (tests/typelib/records.idl),
 * registered in $OPENDCOM_ROOT first.
 * What pull prints for a VT_ARRAY: "vt 0xVVVV", "dims N", per dimension "bound CELEMENTS
 * LBOUND" (first dimension first), "vartype 0xVV", then per element "I4 value",
 * "BSTR text" (ASCII), or "VARIANT vt value"; for a record (VT_RECORD, or each of a
 * record array's elements) "record NAME", then "field NAME vt value" per field.
 */
#define COBJMACROS

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>

#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"

static void print_bstr(BSTR s) {
        for (UINT i = 0; s && i < SysStringLen(s); i++)
                putchar(s[i] < 0x80 ? (char)s[i] : '?');
}

static void print_value(const VARIANT *v) {
        switch (V_VT(v)) {
        case VT_I4:
                printf("%d", (int)V_I4(v));
                break;
        case VT_BOOL:
                printf("%d", (int)V_BOOL(v));
                break;
        case VT_BSTR:
                print_bstr(V_BSTR(v));
                break;
        default:
                printf("-");
        }
}

static void print_record(IRecordInfo *ri, void *rec) {
        BSTR name, names[16];
        ULONG n = 16;

        if (FAILED(IRecordInfo_GetName(ri, &name)) ||
            FAILED(IRecordInfo_GetFieldNames(ri, &n, names))) {
                printf("record ?\n");
                return;
        }
        printf("record ");
        print_bstr(name);
        printf("\n");
        SysFreeString(name);
        for (ULONG i = 0; i < n; i++) {
                VARIANT f;
                VariantInit(&f);
                printf("field ");
                print_bstr(names[i]);
                if (rec && SUCCEEDED(IRecordInfo_GetField(ri, rec, names[i], &f))) {
                        printf(" %u ", V_VT(&f));
                        print_value(&f);
                        VariantClear(&f);
                } else {
                        printf(" none");
                }
                printf("\n");
                SysFreeString(names[i]);
        }
}

static int describe(const VARIANT *v) {
        printf("vt 0x%04x\n", V_VT(v));
        if ((V_VT(v) & ~VT_BYREF) == VT_RECORD) {
                print_record(V_RECORDINFO(v), V_RECORD(v));
                return 0;
        }
        if (!(V_VT(v) & VT_ARRAY) || (V_VT(v) & VT_BYREF)) {
                printf("value ");
                print_value(v);
                printf("\n");
                return 0;
        }
        SAFEARRAY *sa = V_ARRAY(v);
        VARTYPE vt = 0;
        size_t n = 1;
        if (!sa) {
                printf("null\n");
                return 0;
        }
        printf("dims %u\n", sa->cDims);
        for (USHORT d = 1; d <= sa->cDims; d++) {
                const SAFEARRAYBOUND *b = &sa->rgsabound[sa->cDims - d];
                printf("bound %u %d\n", (unsigned)b->cElements, (int)b->lLbound);
                n *= b->cElements;
        }
        SafeArrayGetVartype(sa, &vt);
        printf("vartype 0x%02x\n", vt);
        for (size_t i = 0; i < n; i++) {
                const uint8_t *cell = (const uint8_t *)sa->pvData + i * sa->cbElements;
                if (sa->fFeatures & FADF_BSTR) {
                        printf("BSTR ");
                        print_bstr(*(BSTR *)cell);
                } else if (sa->fFeatures & FADF_VARIANT) {
                        printf("VARIANT %u ", V_VT((const VARIANT *)cell));
                        print_value((const VARIANT *)cell);
                } else if (sa->fFeatures & FADF_RECORD) {
                        IRecordInfo *ri;
                        if (SUCCEEDED(SafeArrayGetRecordInfo(sa, &ri)) && ri) {
                                print_record(ri, (void *)cell);
                                IRecordInfo_Release(ri);
                        }
                        continue;
                } else if (sa->cbElements == 4) {
                        LONG l;
                        memcpy(&l, cell, 4);
                        printf("I4 %d", (int)l);
                } else {
                        printf("cell");
                }
                printf("\n");
        }
        return 0;
}

static int pull(const char *hex) {
        size_t len = strlen(hex) / 2;
        uint8_t *bytes = malloc(len + 1);
        struct arena a;
        struct ndr_pull in;
        VARIANT v;
        int r;

        if (!bytes)
                return 1;
        for (size_t i = 0; i < len; i++) {
                unsigned x;
                if (sscanf(hex + 2 * i, "%2x", &x) != 1) {
                        fprintf(stderr, "oaut-wire: bad hex at %zu\n", 2 * i);
                        free(bytes);
                        return 1;
                }
                bytes[i] = (uint8_t)x;
        }
        arena_init(&a, 0);
        ndr_pull_init(&in, bytes, len, NULL, &a);
        r = ndr_pull_user_marshal(&in, ndr_user_marshal_find("VARIANT"), NDR_SCALARS | NDR_BUFFERS,
                                  &v);
        if (r < 0) {
                fprintf(stderr, "oaut-wire: refused: %s\n", strerror(-r));
        } else {
                describe(&v);
                printf("left %zu\n", ndr_pull_remaining(&in));
        }
        arena_reset(&a);
        free(bytes);
        return r < 0;
}

static BSTR ascii_bstr(const char *s) {
        OLECHAR w[64];
        size_t n = strlen(s);

        for (size_t i = 0; i < n; i++)
                w[i] = (OLECHAR)s[i];
        return SysAllocStringLen(w, (UINT)n);
}

static int push(const char *kind) {
        SAFEARRAY *sa;
        VARIANT v, e;
        LONG idx;

        if (!strcmp(kind, "i4")) {
                static const LONG vals[] = { 10, -20, 30 };
                sa = SafeArrayCreateVector(VT_I4, 0, 3);
                memcpy(sa->pvData, vals, sizeof vals);
                V_VT(&v) = VT_ARRAY | VT_I4;
        } else if (!strcmp(kind, "bstr")) {
                static const char *const vals[] = { "alpha", "", "gamma" };
                sa = SafeArrayCreateVector(VT_BSTR, 1, 3);
                for (idx = 1; idx <= 3; idx++) {
                        BSTR s = ascii_bstr(vals[idx - 1]);
                        SafeArrayPutElement(sa, &idx, s);
                        SysFreeString(s);
                }
                V_VT(&v) = VT_ARRAY | VT_BSTR;
        } else if (!strcmp(kind, "variant")) {
                sa = SafeArrayCreateVector(VT_VARIANT, 0, 3);
                idx = 0;
                V_VT(&e) = VT_I4;
                V_I4(&e) = 7;
                SafeArrayPutElement(sa, &idx, &e);
                idx = 1;
                V_VT(&e) = VT_BSTR;
                V_BSTR(&e) = ascii_bstr("seven");
                SafeArrayPutElement(sa, &idx, &e);
                VariantClear(&e);
                idx = 2;
                V_VT(&e) = VT_BOOL;
                V_BOOL(&e) = VARIANT_TRUE;
                SafeArrayPutElement(sa, &idx, &e);
                V_VT(&v) = VT_ARRAY | VT_VARIANT;
        } else if (!strcmp(kind, "record") || !strcmp(kind, "record-array")) {
                static const GUID lib = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                          { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x01 } };
                static const GUID named = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                            { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x06 } };
                struct { LONG id; BSTR name; } *r;
                IRecordInfo *ri;
                if (FAILED(GetRecordInfoFromGuids(&lib, 1, 2, 0, &named, &ri))) {
                        fprintf(stderr, "oaut-wire: Named is not registered ($RECORDS_TLB)\n");
                        return 1;
                }
                if (!strcmp(kind, "record")) {
                        r = IRecordInfo_RecordCreate(ri);
                        r->id = 42;
                        r->name = ascii_bstr("hello");
                        V_VT(&v) = VT_RECORD;
                        V_RECORD(&v) = r;
                        V_RECORDINFO(&v) = ri;          /* the VARIANT's now */
                        sa = NULL;
                } else {
                        sa = SafeArrayCreateVectorEx(VT_RECORD, 0, 2, ri);
                        IRecordInfo_Release(ri);
                        r = sa->pvData;
                        r[0].id = 1;
                        r[0].name = ascii_bstr("a");
                        r[1].id = 2;
                        V_VT(&v) = VT_ARRAY | VT_RECORD;
                }
        } else {
                fprintf(stderr, "oaut-wire: unknown kind %s\n", kind);
                return 2;
        }
        if (sa)
                V_ARRAY(&v) = sa;
        struct ndr_push p;
        ndr_push_init(&p, 0);
        int r = ndr_push_user_marshal(&p, ndr_user_marshal_find("VARIANT"),
                                      NDR_SCALARS | NDR_BUFFERS, &v);
        if (r < 0) {
                fprintf(stderr, "oaut-wire: push failed: %s\n", strerror(-r));
        } else {
                for (size_t i = 0; i < p.buf.len; i++)
                        printf("%02x", p.buf.data[i]);
                printf("\n");
        }
        ndr_push_free(&p);
        VariantClear(&v);
        return r < 0;
}

int main(int argc, char **argv) {
        if (argc != 3) {
                fprintf(stderr, "usage: oaut-wire pull HEX | push i4|bstr|variant\n");
                return 2;
        }
        oleaut_user_marshal_register();
        const char *tlb = getenv("RECORDS_TLB");
        if (tlb) {
                OLECHAR w[4096];
                ITypeLib *tl;
                size_t i;
                for (i = 0; tlb[i] && i < 4095; i++)
                        w[i] = (OLECHAR)(unsigned char)tlb[i];
                w[i] = 0;
                if (FAILED(LoadTypeLibEx(w, REGKIND_REGISTER, &tl))) {
                        fprintf(stderr, "oaut-wire: cannot register %s\n", tlb);
                        return 1;
                }
                ITypeLib_Release(tl);
        }
        if (!strcmp(argv[1], "pull"))
                return pull(argv[2]);
        if (!strcmp(argv[1], "push"))
                return push(argv[2]);
        fprintf(stderr, "oaut-wire: unknown command %s\n", argv[1]);
        return 2;
}
