/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJREFs ([MS-DCOM] 2.2.18) and their DUALSTRINGARRAYs (2.2.19) on hostile bytes: the
 * input is one OBJREF as a peer or a stream would hand it over.
 *
 * What parses must be consistent: its DUALSTRINGARRAY passes dsa_check(), every string
 * and security binding is read until -ENOENT (within the array's units), a copy is the
 * same bytes, and objref_write() gives bytes that parse back to the same fields (for
 * the standard and handler forms, to the very bytes that were read).  What does not
 * parse must leave the output untouched and nothing allocated.
 *
 * Then the same bytes go through an IStream to CoUnmarshalInterface and
 * CoReleaseMarshalData, which read the OBJREF with a reader of their own (marshal.c's
 * read_objref).  So that nothing reaches the network, every standard form is made to
 * name this process's exporter (its OXID written over the input's: an IPID it cannot
 * know then fails locally), and an OBJREF_CUSTOM names a class nobody registered (the
 * standard marshaler's, which reads a nested OBJREF, is followed a few levels at most:
 * CoUnmarshalInterface and CoReleaseMarshalData recurse once per level, without a
 * bound, so a long chain of them exhausts the stack).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <objbase.h>

#include "com/objref.h"
#include "com/remote-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STD_MARSHAL_NESTING 4

static uint8_t local_oxid[8];           /* this process's exporter's, little-endian */
static IPID local_ipid;                 /* the one object it exports */
static char root[] = "/tmp/fuzz-objref-XXXXXX";

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "fuzz-objref: %s\n", what);
                abort();
        }
}

/* --- an object for the exporter ---------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE u_qi(IUnknown *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE u_ref(IUnknown *This) {
        return 1;       /* static */
}

static const IUnknownVtbl u_vtbl = { u_qi, u_ref, u_ref };
static IUnknown object = { &u_vtbl };

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
        remove(path);
        return 0;
}

static void cleanup(void) {
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* An exporter (no rpcss: an in-process marshal) whose OXID the stream path names. */
static void setup(void) {
        struct objref o;
        IStream *stm;
        HGLOBAL h;
        STATSTG st;

        check(mkdtemp(root) != NULL, "mkdtemp");
        atexit(cleanup);
        setenv("OPENDCOM_ROOT", root, 1);
        setenv("OPENDCOM_ORPC_LISTEN", "127.0.0.1", 1);
        unsetenv("OPENDCOM_ORPC_ADVERTISE");
        check(SUCCEEDED(CoInitializeEx(NULL, COINIT_MULTITHREADED)), "CoInitializeEx");
        check(SUCCEEDED(CreateStreamOnHGlobal(NULL, TRUE, &stm)), "CreateStreamOnHGlobal");
        check(SUCCEEDED(CoMarshalInterface(stm, &IID_IUnknown, &object, MSHCTX_INPROC, NULL,
                                           MSHLFLAGS_TABLESTRONG)),
              "CoMarshalInterface");
        check(SUCCEEDED(GetHGlobalFromStream(stm, &h)) &&
                      SUCCEEDED(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME)),
              "the marshaled stream");
        const uint8_t *p = GlobalLock(h);
        check(objref_parse(p, (size_t)st.cbSize.QuadPart, &o, NULL) == 0, "our own OBJREF");
        GlobalUnlock(h);
        stm->lpVtbl->Release(stm);
        for (int i = 0; i < 8; i++)
                local_oxid[i] = (uint8_t)(o.std.oxid >> (8 * i));
        local_ipid = o.std.ipid;
        objref_clear(&o);
}

/* --- the parser -------------------------------------------------------------------------- */

static void check_bindings(const DUALSTRINGARRAY *d) {
        static const size_t sizes[] = { 1, 7, 256 };
        char s[256];
        unsigned i;
        int r;

        check(dsa_check(d) == 0, "a parsed DUALSTRINGARRAY fails dsa_check");
        for (i = 0;; i++) {
                uint16_t tower = 0;
                size_t n = sizes[i % 3];
                check(i <= d->wNumEntries, "more string bindings than units");
                r = dsa_string_binding(d, i, &tower, s, n);
                if (r == -ENOENT)
                        break;
                if (r == 0)
                        check(strlen(s) < n, "a string binding past its buffer");
        }
        for (i = 0;; i++) {
                uint16_t authn = 0;
                size_t n = sizes[i % 3];
                check(i <= d->wNumEntries, "more security bindings than units");
                r = dsa_security_binding(d, i, &authn, s, n);
                if (r == -ENOENT)
                        break;
                if (r == 0)
                        check(strlen(s) < n, "a security binding past its buffer");
        }
        DUALSTRINGARRAY *c = dsa_dup(d);
        if (c) {
                check(memcmp(c, d, dsa_size(d)) == 0, "dsa_dup differs");
                free(c);
        }
}

static bool has_std(uint32_t flags) {
        return flags != OBJREF_CUSTOM;
}

static void check_same(const struct objref *a, const struct objref *b) {
        check(a->flags == b->flags && IsEqualIID(&a->iid, &b->iid), "the header changed");
        if (has_std(a->flags))
                check(a->std.flags == b->std.flags && a->std.cPublicRefs == b->std.cPublicRefs &&
                              a->std.oxid == b->std.oxid && a->std.oid == b->std.oid &&
                              IsEqualGUID(&a->std.ipid, &b->std.ipid),
                      "the STDOBJREF changed");
        if (a->flags == OBJREF_HANDLER || a->flags == OBJREF_CUSTOM)
                check(IsEqualCLSID(&a->clsid, &b->clsid), "the clsid changed");
        check(!a->res == !b->res, "the DUALSTRINGARRAY came or went");
        if (a->res)
                check(dsa_size(a->res) == dsa_size(b->res) &&
                              memcmp(a->res, b->res, dsa_size(a->res)) == 0,
                      "the DUALSTRINGARRAY changed");
        check(a->data_len == b->data_len &&
                      (!a->data_len || memcmp(a->data, b->data, a->data_len) == 0),
              "the data changed");
        if (a->flags == OBJREF_EXTENDED)
                check(IsEqualGUID(&a->ext_id, &b->ext_id), "the extension's id changed");
}

static void parse(const uint8_t *data, size_t size) {
        struct objref o, o2, untouched;
        struct buf b, b2;
        size_t used = (size_t)-1, used2 = 0;
        int r;

        memset(&o, 0xa5, sizeof o);
        untouched = o;
        r = objref_parse(data, size, &o, &used);
        if (r < 0) {
                check(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -ENOMEM,
                      "an unexpected error");
                check(memcmp(&o, &untouched, sizeof o) == 0 && used == (size_t)-1,
                      "a failed parse wrote its output");
                return;
        }
        check(used <= size, "used more bytes than given");
        check(o.flags == OBJREF_STANDARD || o.flags == OBJREF_HANDLER || o.flags == OBJREF_CUSTOM ||
                      o.flags == OBJREF_EXTENDED,
              "an unknown form parsed");
        check(has_std(o.flags) == (o.res != NULL), "a DUALSTRINGARRAY where none belongs");
        check((o.data != NULL) == (o.flags == OBJREF_CUSTOM || o.flags == OBJREF_EXTENDED),
              "data where none belongs");
        check(o.data_len <= OBJREF_MAX_CUSTOM, "data past the bound");
        if (o.res)
                check_bindings(o.res);

        /* written again, it parses to the same fields */
        buf_init(&b, 0);
        check(objref_write(&b, &o) == 0, "objref_write refused a parsed OBJREF");
        r = objref_parse(b.data, b.len, &o2, &used2);
        if (r == -ENOMEM) {
                buf_free(&b);
                objref_clear(&o);
                return;
        }
        check(r == 0, "what objref_write wrote does not parse");
        check(used2 == b.len, "what objref_write wrote has bytes to spare");
        check_same(&o, &o2);
        /* the standard and handler forms have nothing to normalise: the same bytes */
        if (o.flags == OBJREF_STANDARD || o.flags == OBJREF_HANDLER)
                check(b.len == used && memcmp(b.data, data, used) == 0, "the bytes changed");
        /* and writing is stable */
        buf_init(&b2, 0);
        check(objref_write(&b2, &o2) == 0 && b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0,
              "a second write differs");
        buf_free(&b2);
        buf_free(&b);
        objref_clear(&o2);
        objref_clear(&o);
}

/* --- the stream path ----------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Makes the OBJREF (p, n: a copy) safe to unmarshal without a network: false when it
 * must not go (too deep a chain of standard marshalers, or our own object's IPID).
 */
static bool make_local(uint8_t *p, size_t n) {
        uint8_t w[DCOM_GUID_WIRE_SIZE];
        size_t off = 0;

        for (int depth = 0;; depth++) {
                if (n - off < 48)
                        return true;                    /* too short to be read: it fails */
                if (le32(p + off + 4) == OBJREF_CUSTOM) {
                        GUID clsid;
                        dcom_guid_from_wire(p + off + 24, &clsid);
                        if (!IsEqualCLSID(&clsid, &CLSID_StdMarshal))
                                return true;            /* a class nobody registered */
                        if (depth >= MAX_STD_MARSHAL_NESTING)
                                return false;
                        off += 48;                      /* its data: an OBJREF of its own */
                        continue;
                }
                /* STANDARD, HANDLER, EXTENDED: the STDOBJREF's oxid at 32, ipid at 48 */
                memcpy(p + off + 32, local_oxid, 8);
                dcom_guid_to_wire(&local_ipid, w);
                return !(n - off >= 64 && memcmp(p + off + 48, w, sizeof w) == 0);
        }
}

static void unmarshal(const uint8_t *data, size_t size) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        uint8_t *copy = malloc(size ? size : 1);
        IStream *stm;
        IUnknown *unk = (IUnknown *)&object;
        ULONG done;
        HRESULT hr;

        if (!copy)
                return;
        memcpy(copy, data, size);
        if (!make_local(copy, size) || FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm))) {
                free(copy);
                return;
        }
        if (SUCCEEDED(stm->lpVtbl->Write(stm, copy, (ULONG)size, &done)) &&
            SUCCEEDED(stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL))) {
                /* nothing this process exports has that IPID, no class that CLSID */
                hr = CoUnmarshalInterface(stm, size & 1 ? &IID_IUnknown : &GUID_NULL,
                                          (void **)&unk);
                check(FAILED(hr) && unk == NULL, "an OBJREF for nothing unmarshaled");
                if (SUCCEEDED(stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL)))
                        CoReleaseMarshalData(stm);
        }
        stm->lpVtbl->Release(stm);
        free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool init;

        if (!init) {
                setup();
                init = true;
        }
        if (size > OBJREF_MAX_CUSTOM + 4096)
                return 0;
        parse(data, size);
        unmarshal(data, size);
        return 0;
}
