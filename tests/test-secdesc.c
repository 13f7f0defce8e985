/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The security layer (src/security): SIDs, self-relative descriptors against Windows'
 * own bytes and one built by hand from [MS-DTYP] 2.4.6, SDDL both ways, every malformed
 * form refused without a crash, tokens, the generic access check and COM's rights, name
 * lookups, and the Windows API of <sddl.h> and <securitybaseapi.h>.
 */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <windows.h>
#include <sddl.h>
#include <dcom/winreg.h>

#include "test.h"
#include "base/alloc.h"
#include "rpc/auth/accounts.h"
#include "security/security.h"

/* HKLM\SOFTWARE\Microsoft\Ole as Windows 7 / Server 2008 R2 write it by default (a .reg
   export: gerryw1389's "DCOM Settings For Missing Windows Updates Section"). */
static const uint8_t win_machine_launch[] = {
        0x01, 0x00, 0x04, 0x80, 0x78, 0x00, 0x00, 0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x64, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x18, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
        0x0b, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x32, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x18, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x20, 0x00, 0x00, 0x00, 0x2f, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
};
static const char win_machine_launch_sddl[] =
        "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;WD)(A;;CCDCLCSWRP;;;S-1-5-32-562)"
        "(A;;CCDCLCSWRP;;;LU)";

static const uint8_t win_machine_access[] = {
        0x01, 0x00, 0x04, 0x80, 0x74, 0x00, 0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x60, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00, 0x00, 0x00,
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x18, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x20, 0x00, 0x00, 0x00, 0x32, 0x02, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x07, 0x00,
        0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00,
        0x2f, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00,
        0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
};
static const char win_machine_access_sddl[] =
        "O:BAG:BAD:(A;;CCDCLC;;;WD)(A;;CCDC;;;AN)(A;;CCDCLC;;;S-1-5-32-562)(A;;CCDCLC;;;LU)";

static const uint8_t win_default_launch[] = {
        0x01, 0x00, 0x04, 0x80, 0x5c, 0x00, 0x00, 0x00, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x48, 0x00, 0x03, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x18, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
        0x1f, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
};
static const char win_default_launch_sddl[] =
        "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;IU)(A;;CCDCLCSWRP;;;SY)";

/* Built by hand from [MS-DTYP] 2.4.6, 2.4.5, 2.4.4.2, 2.4.4.4, 2.4.4.10 and 2.4.2.2 for
   "O:SYG:BAD:P(D;;CCDCLCSWRP;;;AN)(A;OICI;0x1f;;;S-1-5-21-1-2-3-1001)S:(AU;SAFA;CC;;;WD)",
   in Windows' order: header, SACL, DACL, owner, group. */
static const uint8_t by_hand[] = {
        /* SECURITY_DESCRIPTOR: Revision 1, Sbz1 0, Control 0x9014 = SR | PD | SP | DP */
        0x01, 0x00, 0x14, 0x90,
        0x70, 0x00, 0x00, 0x00,         /* OffsetOwner 112 */
        0x7c, 0x00, 0x00, 0x00,         /* OffsetGroup 124 */
        0x14, 0x00, 0x00, 0x00,         /* OffsetSacl 20 */
        0x30, 0x00, 0x00, 0x00,         /* OffsetDacl 48 */
        /* SACL: revision 2, AclSize 28, AceCount 1 */
        0x02, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00,
        /* SYSTEM_AUDIT_ACE: type 2, SUCCESSFUL|FAILED (0xc0), size 20, mask 1, S-1-1-0 */
        0x02, 0xc0, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        /* DACL: revision 2, AclSize 64, AceCount 2 */
        0x02, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00,
        /* ACCESS_DENIED_ACE: type 1, flags 0, size 20, mask 0x1f, S-1-5-7 */
        0x01, 0x00, 0x14, 0x00, 0x1f, 0x00, 0x00, 0x00,
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x07, 0x00, 0x00, 0x00,
        /* ACCESS_ALLOWED_ACE: type 0, OI|CI, size 36, mask 0x1f, S-1-5-21-1-2-3-1001 */
        0x00, 0x03, 0x24, 0x00, 0x1f, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
        0xe9, 0x03, 0x00, 0x00,
        /* owner S-1-5-18 */
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00,
        /* group S-1-5-32-544 */
        0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00,
        0x20, 0x02, 0x00, 0x00,
};

static void check_round_trip(const char *sddl, const char *expect) {
        void *sd, *sd2;
        size_t len, len2;
        char *s, *s2;

        ASSERT_OK(sec_sddl_parse(sddl, &sd, &len));
        ASSERT_OK(sec_sd_validate(sd, len));
        ASSERT_OK(sec_sddl_format(sd, len, &s));
        ASSERT_STR_EQ(s, expect ? expect : sddl);
        ASSERT_OK(sec_sddl_parse(s, &sd2, &len2));
        ASSERT_EQ(len2, len);
        ASSERT_MEM_EQ(sd2, sd, len);
        ASSERT_OK(sec_sddl_format(sd2, len2, &s2));
        ASSERT_STR_EQ(s2, s);
        free(s);
        free(s2);
        free(sd);
        free(sd2);
}

static void check_golden(const uint8_t *bytes, size_t n, const char *sddl) {
        void *sd;
        size_t len;
        char *s;

        ASSERT_OK(sec_sd_validate(bytes, n));
        ASSERT_OK(sec_sddl_format(bytes, n, &s));
        ASSERT_STR_EQ(s, sddl);
        free(s);
        ASSERT_OK(sec_sddl_parse(sddl, &sd, &len));
        ASSERT_EQ(len, n);
        ASSERT_MEM_EQ(sd, bytes, n);
        free(sd);
}

TEST(windows_defaults_byte_for_byte) {
        check_golden(win_machine_launch, sizeof win_machine_launch, win_machine_launch_sddl);
        check_golden(win_machine_access, sizeof win_machine_access, win_machine_access_sddl);
        check_golden(win_default_launch, sizeof win_default_launch, win_default_launch_sddl);
}

TEST(built_by_hand) {
        static const char sddl[] =
                "O:SYG:BAD:P(D;;CCDCLCSWRP;;;AN)(A;OICI;0x1f;;;S-1-5-21-1-2-3-1001)"
                "S:(AU;SAFA;CC;;;WD)";
        void *sd;
        size_t len;
        char *s;

        ASSERT_OK(sec_sddl_parse(sddl, &sd, &len));
        ASSERT_EQ(len, sizeof by_hand);
        ASSERT_MEM_EQ(sd, by_hand, sizeof by_hand);
        free(sd);
        ASSERT_OK(sec_sddl_format(by_hand, sizeof by_hand, &s));
        ASSERT_STR_EQ(s, "O:SYG:BAD:P(D;;CCDCLCSWRP;;;AN)(A;OICI;CCDCLCSWRP;;;S-1-5-21-1-2-3-1001)"
                         "S:(AU;SAFA;CC;;;WD)");
        free(s);
        /* the parts one by one */
        ASSERT_OK(sec_sddl_format_parts(by_hand, sizeof by_hand, 1 | 4, &s));
        ASSERT_STR_EQ(s, "O:SYD:P(D;;CCDCLCSWRP;;;AN)(A;OICI;CCDCLCSWRP;;;S-1-5-21-1-2-3-1001)");
        free(s);
}

TEST(sddl_round_trips) {
        check_round_trip("O:BAG:SYD:(A;;CC;;;WD)", NULL);
        check_round_trip("D:NO_ACCESS_CONTROL", NULL);
        check_round_trip("D:", NULL);
        check_round_trip("O:S-1-5-21-11-22-33-500", NULL);
        check_round_trip("D:PAI(A;OICIID;FA;;;SY)(A;OICIIO;GXGR;;;BU)(D;NP;KA;;;AN)", NULL);
        check_round_trip("D:ARAI(A;;0x12345678;;;S-1-0x123456789ABC-1-2)", NULL);
        /* object ACEs (ACL revision 4) and a mandatory label */
        check_round_trip("D:(OA;CI;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;"
                         "4828cc14-1437-45bc-9b07-ad6f015e5f28;AU)(OD;;CR;"
                         "00299570-246d-11d0-a768-00aa006e0529;;WD)S:(ML;;NW;;;LW)", NULL);
        /* Windows' spellings come back in Windows' form: order, aliases, numbers, case */
        check_round_trip("D:(A;;RPSWLCDCCC;;;S-1-5-32-544)(A;;0x1f01ff;;;s-1-5-18)(A;;31;;;WD)",
                         "D:(A;;CCDCLCSWRP;;;BA)(A;;FA;;;SY)(A;;CCDCLCSWRP;;;WD)");
        check_round_trip("G:BUO:BA", "O:BAG:BU");
}

TEST(sddl_rejects) {
        static const char *const bad[] = {
                "X:", "O:", "O:ZZ", "O:BAO:BA", "D:(A;;CC;;;WD", "D:(Q;;CC;;;WD)",
                "D:(A;XX;CC;;;WD)", "D:(A;;;;;WD)", "D:(A;;CC;;;S-1-5-)", "D:(A;;CC;abc;;WD)",
                "D:(A;;CC;bf967a7f-0de6-11d0-a285-00aa003049e2;;WD)",
                "D:NO_ACCESS_CONTROL(A;;CC;;;WD)", "D:(A;;0x100000000;;;WD)",
                "D:(XA;;CC;;;WD;(x))", "D:(A;;CC;;;WD;x)", "D:(A;;C;;;WD)", "D:(A;;CC;;;S-1)",
                "D:(A;;CC;;;S-2-5-7)", "D:(A;;CC;;;S-1-5-4294967296)",
                "D:(A;;CC;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)", "D:(A;;CC;;;WD)x",
                "D:(A;;CC;;;WD)D:", "G:DU", "S:(RA;;;;;WD;(\"x\",TI,0,1))", "D:(A;;-1;;;WD)",
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                void *sd = NULL;
                size_t len = 0;
                int r = sec_sddl_parse(bad[i], &sd, &len);

                if (r != -EINVAL)
                        test_fail(__FILE__, __LINE__, "\"%s\" parsed: %d", bad[i], r);
                ASSERT_NULL(sd);
        }
}

TEST(sids) {
        struct sec_sid sid;
        char s[SEC_SID_STRING_MAX];
        uint8_t b[68];
        size_t n;

        ASSERT_OK(sec_sid_parse("S-1-5-32-544", false, &sid));
        ASSERT_EQ(sid.n, 2);
        ASSERT_EQ(sid.authority[5], 5);
        ASSERT_EQ(sid.sub[1], 544);
        ASSERT_EQ(sec_sid_size(&sid), 16);
        sec_sid_push(&sid, b);
        ASSERT_MEM_EQ(b, "\x01\x02\0\0\0\0\0\x05\x20\0\0\0\x20\x02\0\0", 16);
        ASSERT_ERRNO(sec_sid_parse("BA", false, &sid), -EINVAL);
        ASSERT_OK(sec_sid_parse("BA", true, &sid));
        ASSERT_OK(sec_sid_format(&sid, s, sizeof s));
        ASSERT_STR_EQ(s, "S-1-5-32-544");
        /* [MS-DTYP] 2.4.2.1: authorities of 2^32 and more in hex, smaller ones in decimal */
        ASSERT_OK(sec_sid_parse("S-1-0x000100000000-7", false, &sid));
        ASSERT_OK(sec_sid_format(&sid, s, sizeof s));
        ASSERT_STR_EQ(s, "S-1-0x000100000000-7");
        ASSERT_OK(sec_sid_parse("s-1-0x0000FFFFFFFF-7", false, &sid));
        ASSERT_OK(sec_sid_format(&sid, s, sizeof s));
        ASSERT_STR_EQ(s, "S-1-4294967295-7");
        ASSERT_ERRNO(sec_sid_format(&sid, s, 5), -ERANGE);
        /* the binary form: 15 sub-authorities at most, and all of them there */
        memcpy(b, "\x01\x02\0\0\0\0\0\x05\x20\0\0\0\x20\x02\0\0", 16);
        ASSERT_OK(sec_sid_pull(b, 16, &sid, &n));
        ASSERT_EQ(n, 16);
        ASSERT_ERRNO(sec_sid_pull(b, 15, &sid, &n), -EBADMSG);
        b[1] = 16;
        ASSERT_ERRNO(sec_sid_pull(b, sizeof b, &sid, &n), -EBADMSG);
        b[1] = 2;
        b[0] = 2;
        ASSERT_ERRNO(sec_sid_pull(b, sizeof b, &sid, &n), -EBADMSG);
}

/* A copy of by_hand with one change, expected refused. */
static void expect_bad(const uint8_t *base, size_t n, size_t at, const void *val, size_t vlen,
                       const char *what) {
        uint8_t *b = malloc(n);
        char *s = NULL;
        uint32_t granted;
        bool allowed;
        struct sec_token *t;

        ASSERT_NOT_NULL(b);
        memcpy(b, base, n);
        memcpy(b + at, val, vlen);
        if (sec_sd_validate(b, n) != -EBADMSG)
                test_fail(__FILE__, __LINE__, "%s: not refused", what);
        ASSERT_ERRNO(sec_sddl_format(b, n, &s), -EBADMSG);
        ASSERT_NULL(s);
        ASSERT_OK(sec_token_new(&(struct sec_token_info){ .has_uid = true, .uid = 0 }, &t));
        ASSERT_ERRNO(sec_access_check(b, n, t, 1, &granted), -EBADMSG);
        ASSERT_ERRNO(sec_com_check(b, n, t, 1, &allowed), -EBADMSG);
        sec_token_free(t);
        free(b);
}

TEST(malformed_descriptors) {
        const size_t n = sizeof by_hand;

        ASSERT_OK(sec_sd_validate(by_hand, n));
        /* every truncation */
        for (size_t len = 0; len < n; len++)
                if (sec_sd_validate(by_hand, len) != -EBADMSG)
                        test_fail(__FILE__, __LINE__, "truncated to %zu: not refused", len);
        ASSERT_ERRNO(sec_sd_validate(NULL, 0), -EBADMSG);
        expect_bad(by_hand, n, 0, "\x02", 1, "SD revision 2");
        expect_bad(by_hand, n, 3, "\x10", 1, "not self-relative");
        expect_bad(by_hand, n, 4, "\x8c\0\0\0", 4, "owner offset at the end");
        expect_bad(by_hand, n, 4, "\xff\xff\xff\xff", 4, "owner offset far out");
        expect_bad(by_hand, n, 4, "\x10\0\0\0", 4, "owner offset inside the header");
        expect_bad(by_hand, n, 4, "\x71\0\0\0", 4, "owner offset misaligned");
        expect_bad(by_hand, n, 8, "\x88\0\0\0", 4, "group runs past the end");
        expect_bad(by_hand, n, 12, "\x90\0\0\0", 4, "SACL offset out of range");
        expect_bad(by_hand, n, 16, "\x00\x01\0\0", 4, "DACL offset out of range");
        expect_bad(by_hand, n, 16, "\x86\0\0\0", 4, "DACL header past the end");
        expect_bad(by_hand, n, 48 + 2, "\x60\0", 2, "DACL AclSize past the end");
        expect_bad(by_hand, n, 48 + 2, "\xff\xff", 2, "DACL AclSize 65535");
        expect_bad(by_hand, n, 48 + 2, "\x04\0", 2, "DACL AclSize under its header");
        expect_bad(by_hand, n, 48 + 2, "\x38\0", 2, "DACL AclSize smaller than its ACEs");
        expect_bad(by_hand, n, 48 + 2, "\x3e\0", 2, "DACL AclSize not a multiple of 4");
        expect_bad(by_hand, n, 48 + 4, "\x03\0", 2, "AceCount one more than there are");
        expect_bad(by_hand, n, 48 + 4, "\xff\xff", 2, "AceCount 65535");
        expect_bad(by_hand, n, 48, "\x01", 1, "ACL revision 1");
        expect_bad(by_hand, n, 56 + 2, "\x00\0", 2, "AceSize 0");
        expect_bad(by_hand, n, 56 + 2, "\x16\0", 2, "AceSize not a multiple of 4");
        expect_bad(by_hand, n, 56 + 2, "\x40\0", 2, "AceSize past AclSize");
        expect_bad(by_hand, n, 56 + 2, "\x08\0", 2, "AceSize too small for its SID");
        expect_bad(by_hand, n, 56 + 9, "\x10", 1, "ACE SID with 16 sub-authorities");
        expect_bad(by_hand, n, 76 + 9, "\x0f", 1, "ACE SID longer than its ACE");
        expect_bad(by_hand, n, 112 + 1, "\x10", 1, "owner SID with 16 sub-authorities");
        expect_bad(by_hand, n, 124 + 1, "\x03", 1, "group SID runs past the end");
        expect_bad(by_hand, n, 112, "\x02", 1, "owner SID revision 2");
        expect_bad(by_hand, n, 28 + 2, "\x18\0", 2, "SACL ACE past AclSize");
        /* an object ACE whose flags promise GUIDs it has no room for */
        expect_bad(by_hand, n, 56, "\x05\x00\x14\x00\x1f\0\0\0\x03\0\0\0", 12,
                   "object ACE without its GUIDs");
}

/* Every single-byte change of the Windows descriptors: refused or read, never a crash
   (ASan), and what is read formats and parses back to the same SDDL. */
TEST(mutations) {
        const uint8_t *sds[] = { win_machine_launch, win_machine_access, by_hand };
        const size_t lens[] = { sizeof win_machine_launch, sizeof win_machine_access,
                                sizeof by_hand };
        static const uint8_t vals[] = { 0x00, 0x01, 0x02, 0x04, 0x0f, 0x10, 0x14, 0x7f, 0x80, 0xff };
        struct sec_token *t;
        unsigned valid = 0, refused = 0;

        ASSERT_OK(sec_token_new(&(struct sec_token_info){ .has_uid = true, .uid = 0 }, &t));
        for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < lens[k]; i++)
                        for (size_t v = 0; v < sizeof vals; v++) {
                                uint8_t b[256];
                                char *s = NULL, *s2 = NULL;
                                void *sd2;
                                size_t len2;
                                uint32_t g;
                                bool ok;

                                memcpy(b, sds[k], lens[k]);
                                b[i] = vals[v];
                                if (sec_sd_validate(b, lens[k]) < 0) {
                                        refused++;
                                        continue;
                                }
                                valid++;
                                ASSERT_OK(sec_access_check(b, lens[k], t, 0x1f, &g));
                                (void)sec_com_check(b, lens[k], t, 0x1f, &ok);
                                if (sec_sddl_format(b, lens[k], &s) < 0)
                                        continue;       /* an ACE SDDL cannot say */
                                ASSERT_OK(sec_sddl_parse(s, &sd2, &len2));
                                ASSERT_OK(sec_sddl_format(sd2, len2, &s2));
                                ASSERT_STR_EQ(s2, s);
                                free(s);
                                free(s2);
                                free(sd2);
                        }
        sec_token_free(t);
        ASSERT_GT(valid, 100);
        ASSERT_GT(refused, 100);
}

static struct sec_token *token(const struct sec_token_info *info) {
        struct sec_token *t;

        ASSERT_OK(sec_token_new(info, &t));
        return t;
}

static bool com(const char *sddl, const struct sec_token *t, uint32_t want) {
        void *sd;
        size_t len;
        bool allowed = false;

        ASSERT_OK(sec_sddl_parse(sddl, &sd, &len));
        ASSERT_OK(sec_com_check(sd, len, t, want, &allowed));
        free(sd);
        return allowed;
}

#define LOCAL_LAUNCH (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_LOCAL | COM_RIGHTS_ACTIVATE_LOCAL)
#define REMOTE_LAUNCH (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_REMOTE | COM_RIGHTS_ACTIVATE_REMOTE)
#define LOCAL_ACCESS (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_LOCAL)
#define REMOTE_ACCESS (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_REMOTE)

/* An unprivileged user: "nobody" when there is one. */
static uid_t nobody(void) {
        struct passwd *pw = getpwnam("nobody");
        return pw ? pw->pw_uid : 65534;
}

TEST(tokens) {
        struct sec_token *t;
        char buf[256];

        t = token(&(struct sec_token_info){ .has_uid = true, .uid = 0 });
        ASSERT_STR_EQ(sec_token_user_sid(t), "S-1-22-1-0");
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-5-32-544"));      /* root is Administrators */
        ASSERT_TRUE(sec_token_has_sid(t, "SY"));
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-22-2-0"));        /* and in group root */
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-1-0"));
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-5-11"));
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-5-4"));
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-2-0"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-5-2"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-5-7"));
        ASSERT_GT(sec_token_describe(t, buf, sizeof buf), 0);
        ASSERT_TRUE(strstr(buf, "\\root (S-1-22-1-0)") != NULL);
        sec_token_free(t);

        t = token(&(struct sec_token_info){ .user_sid = "S-1-5-21-1-2-3-1001", .remote = true });
        ASSERT_STR_EQ(sec_token_user_sid(t), "S-1-5-21-1-2-3-1001");
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-5-2"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-5-4"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-5-32-544"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-22-1-0"));
        sec_token_free(t);

        /* ANONYMOUS LOGON is not Everyone unless the machine says EveryoneIncludesAnonymous
           (Windows since XP) */
        test_state_dir();
        t = token(&(struct sec_token_info){ .user_sid = "S-1-5-7", .anonymous = true, .remote = true });
        ASSERT_TRUE(sec_token_has_sid(t, "AN"));
        ASSERT_FALSE(sec_token_has_sid(t, "AU"));
        ASSERT_FALSE(sec_token_has_sid(t, "WD"));
        sec_token_free(t);
        DWORD one = 1;
        ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"SYSTEM\\CurrentControlSet\\Control\\Lsa",
                                  u"EveryoneIncludesAnonymous", REG_DWORD, &one, sizeof one),
                  ERROR_SUCCESS);
        t = token(&(struct sec_token_info){ .user_sid = "S-1-5-7", .anonymous = true, .remote = true });
        ASSERT_TRUE(sec_token_has_sid(t, "WD"));
        sec_token_free(t);
        ASSERT_EQ(RegDeleteTreeW(HKEY_LOCAL_MACHINE, u"SYSTEM\\CurrentControlSet\\Control\\Lsa"),
                  ERROR_SUCCESS);

        t = token(&(struct sec_token_info){ .has_uid = true, .uid = nobody(), .remote = true });
        ASSERT_FALSE(sec_token_has_sid(t, "BA"));
        ASSERT_FALSE(sec_token_has_sid(t, "SY"));
        sec_token_free(t);

        ASSERT_ERRNO(sec_token_new(&(struct sec_token_info){ 0 }, &t), -EINVAL);
        ASSERT_ERRNO(sec_token_new(&(struct sec_token_info){ .user_sid = "S-1-x" }, &t), -EINVAL);
        ASSERT_NULL(sec_token_free(NULL));
}

TEST(access_check) {
        struct sec_token *local = token(&(struct sec_token_info){ .has_uid = true, .uid = nobody() });
        struct sec_token *remote = token(&(struct sec_token_info){ .has_uid = true, .uid = nobody(),
                                                                   .remote = true });
        struct sec_token *anon = token(&(struct sec_token_info){ .user_sid = "S-1-5-7",
                                                                 .anonymous = true, .remote = true });
        struct sec_token *anon_local = token(&(struct sec_token_info){ .user_sid = "S-1-5-7",
                                                                       .anonymous = true });
        struct sec_token *root = token(&(struct sec_token_info){ .has_uid = true, .uid = 0,
                                                                 .remote = true });
        uint32_t g;
        void *sd;
        size_t len;

        /* deny before allow, as ordered */
        ASSERT_FALSE(com("D:(D;;CCDCLCSWRP;;;NU)(A;;CCDCLCSWRP;;;WD)", remote, REMOTE_LAUNCH));
        ASSERT_TRUE(com("D:(D;;CCDCLCSWRP;;;NU)(A;;CCDCLCSWRP;;;WD)", local, LOCAL_LAUNCH));
        ASSERT_TRUE(com("D:(A;;CCDCLCSWRP;;;WD)(D;;CCDCLCSWRP;;;NU)", remote, REMOTE_LAUNCH));
        /* a deny ACE of remote rights (with COM_RIGHTS_EXECUTE, as COM writes it) leaves
           local launch alone */
        ASSERT_TRUE(com("D:(D;;CCLCRP;;;WD)(A;;CCDCLCSWRP;;;WD)", local, LOCAL_LAUNCH));
        ASSERT_FALSE(com("D:(D;;CCLCRP;;;WD)(A;;CCDCLCSWRP;;;WD)", remote, REMOTE_LAUNCH));
        /* inherit-only ACEs decide nothing */
        ASSERT_TRUE(com("D:(D;IO;CCDCLCSWRP;;;WD)(A;;CCDCLCSWRP;;;WD)", remote, REMOTE_LAUNCH));
        ASSERT_FALSE(com("D:(A;IO;CCDCLCSWRP;;;WD)", remote, REMOTE_LAUNCH));
        /* legacy (pre-XP SP2) masks: COM_RIGHTS_EXECUTE alone grants every right */
        ASSERT_TRUE(com("O:BAG:BAD:(A;;CC;;;WD)", remote, REMOTE_LAUNCH));
        ASSERT_TRUE(com("O:BAG:BAD:(A;;CC;;;WD)", local, LOCAL_ACCESS));
        ASSERT_FALSE(com("D:(A;;CC;;;IU)", remote, REMOTE_LAUNCH));
        ASSERT_TRUE(com("D:(A;;CC;;;IU)", local, REMOTE_LAUNCH));
        ASSERT_FALSE(com("D:(D;;CC;;;NU)(A;;CC;;;WD)", remote, REMOTE_ACCESS));
        /* local vs remote, with Windows' own machine-wide restrictions */
        ASSERT_OK(sec_com_check(win_machine_launch, sizeof win_machine_launch, local,
                                LOCAL_LAUNCH, &(bool){ false }));
        {
                bool a;
                ASSERT_OK(sec_com_check(win_machine_launch, sizeof win_machine_launch, local, LOCAL_LAUNCH, &a));
                ASSERT_TRUE(a);         /* Everyone: local launch and activation */
                ASSERT_OK(sec_com_check(win_machine_launch, sizeof win_machine_launch, remote, REMOTE_LAUNCH, &a));
                ASSERT_FALSE(a);        /* but not remote */
                ASSERT_OK(sec_com_check(win_machine_launch, sizeof win_machine_launch, root, REMOTE_LAUNCH, &a));
                ASSERT_TRUE(a);         /* Administrators: everything */
                ASSERT_OK(sec_com_check(win_default_launch, sizeof win_default_launch, remote, REMOTE_LAUNCH, &a));
                ASSERT_FALSE(a);        /* INTERACTIVE, SYSTEM and Administrators only */
                ASSERT_OK(sec_com_check(win_default_launch, sizeof win_default_launch, local, LOCAL_LAUNCH, &a));
                ASSERT_TRUE(a);
                ASSERT_OK(sec_com_check(win_machine_access, sizeof win_machine_access, anon_local, LOCAL_ACCESS, &a));
                ASSERT_TRUE(a);         /* ANONYMOUS LOGON: local calls */
        }
        /* anonymous vs authenticated */
        ASSERT_FALSE(com("D:(A;;CCDCLC;;;AU)", anon, REMOTE_ACCESS));
        ASSERT_TRUE(com("D:(A;;CCDCLC;;;AU)", remote, REMOTE_ACCESS));
        ASSERT_TRUE(com("D:(A;;CCDCLC;;;AN)", anon, REMOTE_ACCESS));
        ASSERT_FALSE(com("D:(A;;CCDCLC;;;AN)", remote, REMOTE_ACCESS));
        /* root is BUILTIN\Administrators and SYSTEM; nobody is neither */
        ASSERT_TRUE(com("D:(A;;CCDCLCSWRP;;;BA)", root, REMOTE_LAUNCH));
        ASSERT_FALSE(com("D:(A;;CCDCLCSWRP;;;BA)", remote, REMOTE_LAUNCH));
        ASSERT_TRUE(com("D:(A;;CCDCLCSWRP;;;SY)", root, REMOTE_LAUNCH));
        /* NULL DACL: everything; no DACL: everything; empty DACL: nothing */
        ASSERT_TRUE(com("D:NO_ACCESS_CONTROL", anon, REMOTE_LAUNCH));
        ASSERT_TRUE(com("O:BA", anon, REMOTE_LAUNCH));
        ASSERT_FALSE(com("D:", root, LOCAL_LAUNCH));
        /* descriptors COM holds invalid: an ACE without COM_RIGHTS_EXECUTE, formats mixed */
        ASSERT_OK(sec_sddl_parse("D:(A;;DC;;;WD)", &sd, &len));
        ASSERT_ERRNO(sec_com_check(sd, len, root, LOCAL_LAUNCH, &(bool){ false }), -EBADMSG);
        free(sd);
        ASSERT_OK(sec_sddl_parse("D:(A;;CC;;;WD)(A;;CCDC;;;BA)", &sd, &len));
        ASSERT_ERRNO(sec_com_check(sd, len, root, LOCAL_LAUNCH, &(bool){ false }), -EBADMSG);
        free(sd);
        /* object ACEs for the object itself count; those for a property do not */
        ASSERT_OK(sec_sddl_parse("D:(OD;;0x1;;;WD)(OA;;0x2;bf967a7f-0de6-11d0-a285-00aa003049e2;;WD)"
                                 "(OA;;0x7;;;WD)", &sd, &len));
        ASSERT_OK(sec_access_check(sd, len, remote, 0x7, &g));
        ASSERT_EQ(g, 0x6);
        free(sd);
        /* callback ACEs: their condition is not evaluated (UNKNOWN): a deny applies, an
           allow does not */
        ASSERT_OK(sec_sddl_parse("D:(D;;0x1;;;WD)(A;;0x7;;;WD)(A;;0x8;;;WD)", &sd, &len));
        ((uint8_t *)sd)[len - 3 * 20] = 0x0A;   /* ACCESS_DENIED_CALLBACK_ACE */
        ((uint8_t *)sd)[len - 20] = 0x09;       /* ACCESS_ALLOWED_CALLBACK_ACE */
        ASSERT_OK(sec_access_check(sd, len, remote, 0xf, &g));
        ASSERT_EQ(g, 0x6);
        free(sd);
        /* the generic check: the bits each ACE decides first */
        ASSERT_OK(sec_sddl_parse("D:(D;;0x2;;;WD)(A;;0x7;;;WD)(A;;0x8;;;BA)", &sd, &len));
        ASSERT_OK(sec_access_check(sd, len, remote, 0xf, &g));
        ASSERT_EQ(g, 0x5);
        ASSERT_OK(sec_access_check(sd, len, root, 0xf, &g));
        ASSERT_EQ(g, 0xd);
        free(sd);
        sec_token_free(local);
        sec_token_free(remote);
        sec_token_free(anon);
        sec_token_free(anon_local);
        sec_token_free(root);
}

static void set_ole_group(const WCHAR *value, const char *group) {
        WCHAR w[64];
        HKEY k;
        size_t i;

        for (i = 0; group[i]; i++)
                w[i] = (WCHAR)group[i];
        w[i] = 0;
        ASSERT_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM", 0, NULL, 0, KEY_ALL_ACCESS,
                                  NULL, &k, NULL), ERROR_SUCCESS);
        ASSERT_EQ(RegSetValueExW(k, value, 0, REG_SZ, (const BYTE *)w, (DWORD)((i + 1) * 2)),
                  ERROR_SUCCESS);
        RegCloseKey(k);
}

/* Unix groups: S-1-22-2-gid, and the two groups HKLM\Software\OpenDCOM names. */
TEST(unix_groups) {
        struct passwd *pw = getpwuid(nobody());
        struct sec_token *t;
        struct group *gr;
        char sid[64], sddl[128];

        if (!pw)
                SKIP("no user nobody");
        gr = getgrgid(pw->pw_gid);
        if (!gr)
                SKIP("nobody's group has no name");
        test_state_dir();       /* a private registry */
        t = token(&(struct sec_token_info){ .has_uid = true, .uid = pw->pw_uid, .remote = true });
        snprintf(sid, sizeof sid, "S-1-22-2-%u", (unsigned)gr->gr_gid);
        ASSERT_TRUE(sec_token_has_sid(t, sid));
        ASSERT_FALSE(sec_token_has_sid(t, "BA"));
        ASSERT_FALSE(sec_token_has_sid(t, "S-1-5-32-562"));
        snprintf(sddl, sizeof sddl, "D:(A;;CCDCLCSWRP;;;%s)", sid);
        ASSERT_TRUE(com(sddl, t, REMOTE_LAUNCH));
        sec_token_free(t);

        set_ole_group(u"AdministratorsGroup", gr->gr_name);
        set_ole_group(u"DistributedComUsersGroup", gr->gr_name);
        t = token(&(struct sec_token_info){ .has_uid = true, .uid = pw->pw_uid, .remote = true });
        ASSERT_TRUE(sec_token_has_sid(t, "BA"));
        ASSERT_TRUE(sec_token_has_sid(t, "S-1-5-32-562"));
        ASSERT_TRUE(com(win_machine_launch_sddl, t, REMOTE_LAUNCH));
        sec_token_free(t);
        /* an NTLM account without a Unix identity is in neither */
        t = token(&(struct sec_token_info){ .user_sid = "S-1-5-21-1-2-3-1001", .remote = true });
        ASSERT_FALSE(sec_token_has_sid(t, "BA"));
        ASSERT_FALSE(com(win_machine_launch_sddl, t, REMOTE_LAUNCH));
        sec_token_free(t);
        set_ole_group(u"AdministratorsGroup", "no-such-group-here");
        t = token(&(struct sec_token_info){ .has_uid = true, .uid = pw->pw_uid, .remote = true });
        ASSERT_FALSE(sec_token_has_sid(t, "BA"));
        sec_token_free(t);
}

static void lookup(const char *name, const char *sid) {
        char buf[SEC_SID_STRING_MAX];

        ASSERT_OK(sec_lookup_name(name, buf, sizeof buf));
        ASSERT_STR_EQ(buf, sid);
}

static void name_of(const char *sid, const char *name) {
        char buf[600];

        ASSERT_OK(sec_lookup_sid(sid, buf, sizeof buf));
        ASSERT_STR_EQ(buf, name);
}

TEST(names) {
        char host[64], name[128], sid[SEC_SID_STRING_MAX], buf[SEC_SID_STRING_MAX];
        struct group *gr = getgrgid(0);

        test_state_dir();       /* a private account store */
        sec_host_name(host, sizeof host);
        lookup("Everyone", "S-1-1-0");
        lookup("everyone", "S-1-1-0");
        lookup("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7");
        lookup("ANONYMOUS LOGON", "S-1-5-7");
        lookup("NETWORK", "S-1-5-2");
        lookup("INTERACTIVE", "S-1-5-4");
        lookup("LOCAL", "S-1-2-0");
        lookup("SYSTEM", "S-1-5-18");
        lookup("Authenticated Users", "S-1-5-11");
        lookup("SELF", "S-1-5-10");
        lookup("BUILTIN\\Administrators", "S-1-5-32-544");
        lookup("BUILTIN\\Distributed COM Users", "S-1-5-32-562");
        lookup("BUILTIN\\Performance Log Users", "S-1-5-32-559");
        lookup("WD", "S-1-1-0");
        lookup("AN", "S-1-5-7");
        lookup("AU", "S-1-5-11");
        lookup("PS", "S-1-5-10");
        lookup("NU", "S-1-5-2");
        lookup("S-1-5-21-1-2-3-4", "S-1-5-21-1-2-3-4");
        lookup("root", "S-1-22-1-0");
        snprintf(name, sizeof name, "%s\\root", host);
        lookup(name, "S-1-22-1-0");
        lookup("Unix User\\root", "S-1-22-1-0");
        if (gr) {
                snprintf(name, sizeof name, "Unix Group\\%s", gr->gr_name);
                lookup(name, "S-1-22-2-0");
                name_of("S-1-22-2-0", name);
        }
        ASSERT_ERRNO(sec_lookup_name("no-such-user-here", buf, sizeof buf), -ENOENT);
        ASSERT_ERRNO(sec_lookup_name("OTHERDOMAIN\\root", buf, sizeof buf), -ENOENT);
        ASSERT_ERRNO(sec_lookup_name("Everyone", buf, 4), -ERANGE);

        name_of("S-1-5-32-544", "BUILTIN\\Administrators");
        name_of("S-1-1-0", "Everyone");
        name_of("S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON");
        snprintf(name, sizeof name, "%s\\root", host);
        name_of("S-1-22-1-0", name);
        name_of("S-1-5-21-9-9-9-9", "S-1-5-21-9-9-9-9");
        name_of("not a SID", "not a SID");

        /* an NTLM account of the same name wins "root" and HOST\root, when we can read it */
        if (accounts_set_password("root", "pw") < 0)
                SKIP("the account store is not writable here");
        ASSERT_OK(sec_lookup_name("root", sid, sizeof sid));
        ASSERT_TRUE(strncmp(sid, "S-1-5-21-", 9) == 0);
        snprintf(name, sizeof name, "%s\\root", host);
        lookup(name, sid);
        name_of(sid, name);
        name_of("S-1-22-1-0", "Unix User\\root");
        lookup("Unix User\\root", "S-1-22-1-0");
}

TEST(windows_api) {
        PSECURITY_DESCRIPTOR sd = NULL;
        ULONG len = 0, n = 0;
        LPWSTR ws = NULL;
        LPSTR s = NULL;
        PSID sid = NULL, sid2 = NULL;
        static const WCHAR wsddl[] = u"O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;IU)(A;;CCDCLCSWRP;;;SY)";

        ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorW(wsddl, SDDL_REVISION_1, &sd, &len));
        ASSERT_EQ(len, sizeof win_default_launch);
        ASSERT_MEM_EQ(sd, win_default_launch, len);
        ASSERT_TRUE(IsValidSecurityDescriptor(sd));
        ASSERT_EQ(GetSecurityDescriptorLength(sd), len);
        ASSERT_TRUE(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &ws, &n));
        ASSERT_EQ(n, sizeof wsddl / 2);
        ASSERT_MEM_EQ(ws, wsddl, sizeof wsddl);
        LocalFree(ws);
        ASSERT_TRUE(ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1,
                DACL_SECURITY_INFORMATION, &s, NULL));
        ASSERT_STR_EQ(s, "D:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;IU)(A;;CCDCLCSWRP;;;SY)");
        LocalFree(s);
        ((uint8_t *)sd)[0x15] = 0x10;   /* the DACL's revision byte's neighbour: Sbz1, ignored */
        ASSERT_TRUE(IsValidSecurityDescriptor(sd));
        ((uint8_t *)sd)[0x14] = 0x09;   /* AclRevision 9 */
        ASSERT_FALSE(IsValidSecurityDescriptor(sd));
        ASSERT_EQ(GetLastError(), ERROR_INVALID_SECURITY_DESCR);
        ASSERT_NULL(LocalFree(sd));

        ASSERT_FALSE(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;CC;;;WD", SDDL_REVISION_1, &sd, NULL));
        ASSERT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
        ASSERT_FALSE(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:", 2, &sd, NULL));
        ASSERT_EQ(GetLastError(), ERROR_UNKNOWN_REVISION);
        ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptor("D:(A;;CC;;;WD)", SDDL_REVISION_1, &sd, NULL));
        LocalFree(sd);

        ASSERT_TRUE(ConvertStringSidToSidA("BA", &sid));
        ASSERT_TRUE(IsValidSid(sid));
        ASSERT_EQ(GetLengthSid(sid), 16);
        ASSERT_TRUE(ConvertStringSidToSidW(u"S-1-5-32-544", &sid2));
        ASSERT_TRUE(EqualSid(sid, sid2));
        ASSERT_TRUE(ConvertSidToStringSidW(sid, &ws));
        ASSERT_MEM_EQ(ws, u"S-1-5-32-544", sizeof u"S-1-5-32-544");
        LocalFree(ws);
        LocalFree(sid2);
        ASSERT_TRUE(ConvertStringSidToSid("S-1-5-18", &sid2));
        ASSERT_FALSE(EqualSid(sid, sid2));
        ASSERT_TRUE(ConvertSidToStringSid(sid2, &s));
        ASSERT_STR_EQ(s, "S-1-5-18");
        LocalFree(s);
        ((uint8_t *)sid2)[1] = 16;
        ASSERT_FALSE(IsValidSid(sid2));
        ASSERT_EQ(GetLastError(), ERROR_INVALID_SID);
        LocalFree(sid2);
        LocalFree(sid);
        ASSERT_FALSE(ConvertStringSidToSidA("S-1-5-", &sid));
        ASSERT_EQ(GetLastError(), ERROR_INVALID_SID);
        ASSERT_FALSE(ConvertStringSidToSidA(NULL, &sid));
        ASSERT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
}

/* Out of memory at every allocation: an error, nothing leaked (ASan). */
static int oom_parse(void *ctx) {
        void *sd;
        size_t len;
        int r = sec_sddl_parse(ctx, &sd, &len);

        if (r >= 0)
                free(sd);
        return r;
}

static int oom_format(void *ctx) {
        char *s;
        int r = sec_sddl_format(ctx, sizeof by_hand, &s);

        if (r >= 0)
                free(s);
        return r;
}

static int oom_token(void *ctx) {
        struct sec_token *t;
        int r = sec_token_new(ctx, &t);

        sec_token_free(t = r >= 0 ? t : NULL);
        return r;
}

TEST(out_of_memory) {
        struct sec_token_info info = { .has_uid = true, .uid = 0, .remote = true };

        ASSERT_GT(ASSERT_OOM_LOOP(oom_parse, NULL, (void *)"O:SYG:BAD:P(D;;CCDCLCSWRP;;;AN)"
                  "(A;OICI;0x1f;;;S-1-5-21-1-2-3-1001)S:(AU;SAFA;CC;;;WD)"), 0);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_format, NULL, (void *)by_hand), 0);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_token, NULL, &info), 0);
}
