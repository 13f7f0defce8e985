/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CLSID_DCOMAccessControl's saved list (src/com/accesscontrol.c) on any bytes: refused,
 * or read -- then written back byte for byte (the form is canonical), and
 * IPersistStream::Load of the same bytes behind their length agrees with the parser and
 * answers IsAccessAllowed without reading out of bounds.
 */
#define COBJMACROS
#include <stdlib.h>
#include <string.h>

#include <iaccess.h>
#include <objbase.h>

#include "com/accesscontrol.h"
#include "com/remote-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct com_acl_entry *v = NULL;
        size_t n = 0;
        int r = com_acl_parse(data, size, &v, &n);

        if (r == 0) {
                uint8_t *out = NULL;
                size_t out_n = 0;
                if (com_acl_format(v, n, &out, &out_n) < 0 || out_n != size ||
                    memcmp(out, data, size) != 0)
                        abort();
                free(out);
        }
        free(v);
        if (size > ACL_MAX_BYTES)
                return 0;

        IClassFactory *cf = NULL;
        IAccessControl *ac = NULL;
        IPersistStream *ps = NULL;
        IStream *stm = NULL;
        if (FAILED(com_builtin_class_object(&CLSID_DCOMAccessControl, &IID_IClassFactory, (void **)&cf)) ||
            FAILED(IClassFactory_CreateInstance(cf, NULL, &IID_IAccessControl, (void **)&ac)) ||
            FAILED(IAccessControl_QueryInterface(ac, &IID_IPersistStream, (void **)&ps)) ||
            FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                abort();
        uint8_t len[4] = { (uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16),
                           (uint8_t)(size >> 24) };
        LARGE_INTEGER zero = { .QuadPart = 0 };
        IStream_Write(stm, len, 4, NULL);
        if (size)
                IStream_Write(stm, data, (ULONG)size, NULL);
        IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL);
        HRESULT hr = IPersistStream_Load(ps, stm);
        if ((r == 0) != (hr == S_OK) && !(size < 12 && FAILED(hr)))
                abort();
        static WCHAR everyone[] = { 'S', '-', '1', '-', '1', '-', '0', 0 };
        TRUSTEE_W t = { NULL, NO_MULTIPLE_TRUSTEE, TRUSTEE_IS_NAME, TRUSTEE_IS_USER, everyone };
        BOOL ok;
        IAccessControl_IsAccessAllowed(ac, &t, NULL, COM_RIGHTS_EXECUTE, &ok);
        IStream_Release(stm);
        IPersistStream_Release(ps);
        IAccessControl_Release(ac);
        IClassFactory_Release(cf);
        return 0;
}
