/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows types have their wire sizes on Linux (STYLE.md section 2). */
#include <dcom/types.h>
#include <dcom/winerror.h>

#include "test.h"

_Static_assert(sizeof(BYTE) == 1, "BYTE");
_Static_assert(sizeof(WORD) == 2, "WORD");
_Static_assert(sizeof(USHORT) == 2, "USHORT");
_Static_assert(sizeof(DWORD) == 4, "DWORD");
_Static_assert(sizeof(ULONG) == 4, "ULONG is 32-bit although Linux long is 64");
_Static_assert(sizeof(LONG) == 4, "LONG");
_Static_assert(sizeof(UINT) == 4, "UINT");
_Static_assert(sizeof(BOOL) == 4, "BOOL");
_Static_assert(sizeof(HRESULT) == 4, "HRESULT");
_Static_assert(sizeof(RPC_STATUS) == 4, "RPC_STATUS");
_Static_assert(sizeof(LONGLONG) == 8, "LONGLONG");
_Static_assert(sizeof(ULONGLONG) == 8, "ULONGLONG");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is 16-bit, not wchar_t");
_Static_assert(sizeof(OLECHAR) == 2, "OLECHAR");
_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(offsetof(GUID, Data2) == 4 && offsetof(GUID, Data3) == 6 &&
               offsetof(GUID, Data4) == 8, "GUID layout");

TEST(signedness) {
        /* HRESULT is signed so FAILED() is a sign test; DWORD/ULONG are unsigned. */
        ASSERT_TRUE((HRESULT)0x80000000u < 0);
        ASSERT_TRUE((DWORD)-1 > 0);
        ASSERT_TRUE((ULONG)-1 > 0);
        ASSERT_TRUE((LONG)0xFFFFFFFFu < 0);
        ASSERT_TRUE((WCHAR)-1 > 0);
        ASSERT_TRUE(FAILED(E_FAIL));
        ASSERT_TRUE(SUCCEEDED(S_FALSE));
}
