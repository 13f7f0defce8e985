/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cross-check with an independent implementation: bytes pushed by our engine are
 * decoded by Samba's ndrdump (package samba-testsuite) with --validate, which also
 * re-marshals what it decoded and compares.  Skipped (77) when ndrdump is absent.
 * The structures: policy_handle and GUID (misc.idl), winreg_OpenKey's request (a
 * struct with an embedded [unique, string] UTF-16 pointer after a [ref] handle) and
 * IOXIDResolver ComplexPing's request (hyper, uint16s, conformant GUID arrays).
 */
#include <stdio.h>
#include <unistd.h>

#include "ndr/ndr-internal.h"
#include "test.h"

static const GUID guid1 = { 0x12345678, 0x1234, 0x5678, { 1, 2, 3, 4, 5, 6, 7, 8 } };

static const char *ndrdump_path(void) {
        const char *p = getenv("NDRDUMP");

        if (p && access(p, X_OK) == 0)
                return p;
        if (access("/usr/bin/ndrdump", X_OK) == 0)
                return "/usr/bin/ndrdump";
        SKIP("ndrdump not installed (Debian package samba-testsuite)");
}

/* Runs ndrdump --validate on the pushed bytes; returns its output (static buffer). */
static const char *dump(struct ndr_push *push, const char *pipe_name, const char *fn, const char *kind) {
        static char out[16384];
        char path[] = "/tmp/test-ndr-ndrdump-XXXXXX", cmd[512];
        size_t n = 0;
        FILE *f;
        int fd;

        ASSERT_OK(ndr_push_error(push));
        fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, push->buf.data, push->buf.len), (ssize_t)push->buf.len);
        close(fd);
        snprintf(cmd, sizeof cmd, "%s --validate %s %s %s %s 2>&1", ndrdump_path(), pipe_name, fn, kind,
                 path);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        while (n < sizeof out - 1) {
                size_t m = fread(out + n, 1, sizeof out - 1 - n, f);
                if (m == 0)
                        break;
                n += m;
        }
        out[n] = 0;
        int status = pclose(f);
        unlink(path);
        if (status != 0 || !strstr(out, "dump OK"))
                test_fail(__FILE__, __LINE__, "ndrdump %s %s failed:\n%s", pipe_name, fn, out);
        return out;
}

#define ASSERT_HAS(hay, needle)                                                         \
        do {                                                                            \
                if (!strstr((hay), (needle)))                                           \
                        test_fail(__FILE__, __LINE__, "ndrdump output lacks \"%s\":\n%s", \
                                  (needle), (hay));                                     \
        } while (0)

TEST(policy_handle_and_guid) {
        struct ndr_context_handle h = { 1, guid1 };
        struct ndr_push push;
        const char *out;

        ndrdump_path();
        ndr_push_init(&push, 0);
        ndr_push_context_handle(&push, &h);
        out = dump(&push, "misc", "policy_handle", "struct");
        ASSERT_HAS(out, "handle_type              : 0x00000001 (1)");
        ASSERT_HAS(out, "uuid                     : 12345678-1234-5678-0102-030405060708");

        ndr_push_reset(&push);
        ndr_push_guid(&push, &guid1);
        out = dump(&push, "misc", "GUID", "struct");
        ASSERT_HAS(out, "12345678-1234-5678-0102-030405060708");
        ndr_push_free(&push);
}

TEST(winreg_openkey_request) {
        static const uint16_t name[] = {
                'S', 'o', 'f', 't', 'w', 'a', 'r', 'e', '\\', 'T', 'e', 's', 't', 0,
        };
        struct ndr_context_handle h = { 0, guid1 };
        struct ndr_push push;
        const char *out;

        /*
         * [in, ref] policy_handle *parent_handle;  (top-level [ref]: no referent ID)
         * [in] winreg_String keyname {uint16 name_len, name_size; [unique, string] uint16 *name};
         * [in] uint32 options; [in] uint32 access_mask;
         */
        ndrdump_path();
        ndr_push_init(&push, 0);
        ndr_push_check_ref(&push, &h);
        ndr_push_context_handle(&push, &h);
        ndr_push_align(&push, 4);
        ndr_push_uint16(&push, sizeof name);
        ndr_push_uint16(&push, sizeof name);
        ndr_push_unique_ptr(&push, name);
        ndr_push_wstring(&push, name);          /* the deferred pointee, after the scalars */
        ndr_push_uint32(&push, 0);
        ndr_push_uint32(&push, 0x2001F);
        out = dump(&push, "winreg", "winreg_OpenKey", "in");
        ASSERT_HAS(out, "name                     : 'Software\\Test'");
        ASSERT_HAS(out, "name_len                 : 0x001c (28)");
        ASSERT_HAS(out, "access_mask              : 0x0002001f (131103)");
        ndr_push_free(&push);
}

TEST(complexping_request) {
        const GUID add[2] = { guid1, { 0xAABBCCDD, 0xEEFF, 0x0011, { 9, 9, 9, 9, 9, 9, 9, 9 } } };
        struct ndr_push push;
        const char *out;

        /*
         * [in, out, ref] hyper *SetId; [in] uint16 SequenceNum, cAddToSet, cDelFromSet;
         * [in, size_is(cAddToSet)] GUID AddToSet[]; [in, size_is(cDelFromSet)] GUID DelFromSet[];
         */
        ndrdump_path();
        ndr_push_init(&push, 0);
        ndr_push_hyper(&push, 0x1122334455667788);
        ndr_push_uint16(&push, 7);
        ndr_push_uint16(&push, 2);
        ndr_push_uint16(&push, 0);
        ndr_push_conformance(&push, 2);
        for (int i = 0; i < 2; i++)
                ndr_push_guid(&push, &add[i]);
        ndr_push_conformance(&push, 0);
        out = dump(&push, "IOXIDResolver", "ComplexPing", "in");
        ASSERT_HAS(out, "SetId                    : 0x1122334455667788");
        ASSERT_HAS(out, "SequenceNum              : 0x0007 (7)");
        ASSERT_HAS(out, "AddToSet: ARRAY(2)");
        ASSERT_HAS(out, "aabbccdd-eeff-0011-0909-090909090909");
        ASSERT_HAS(out, "DelFromSet: ARRAY(0)");
        ndr_push_free(&push);
}
