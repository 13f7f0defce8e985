/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local NTLM account store (src/rpc/auth/accounts.h): the NT hash against
 * [MS-NLMP]'s test vector, names compared as Windows compares them, RIDs never reused,
 * a stable machine SID, file and directory modes, refusal of every kind of malformed
 * file (and of randomly damaged ones, under ASan), writers in parallel processes,
 * readers during writes, and out-of-memory at every allocation.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "rpc/auth/accounts.h"
#include "test.h"

static char root[512];

/* A fresh, empty OPENDCOM_ROOT under the test's state directory. */
static void fresh_root(const char *name) {
        snprintf(root, sizeof root, "%s/%s", test_state_dir(), name);
        ASSERT_EQ(mkdir(root, 0755), 0);
        ASSERT_EQ(setenv("OPENDCOM_ROOT", root, 1), 0);
}

static char *file_path(void) {
        char *p = NULL;

        ASSERT_OK(accounts_path(&p));
        return p;
}

static void write_file(const char *text, size_t len) {
        char dir[600];
        char *p = file_path();
        int fd;

        snprintf(dir, sizeof dir, "%s/private", root);
        (void)mkdir(dir, 0700);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, text, len), (ssize_t)len);
        ASSERT_EQ(close(fd), 0);
        dcom_free(p);
}

/* The whole file (malloc()ed, terminated); its length in *ret_len. */
static char *read_file(size_t *ret_len) {
        char *p = file_path(), *buf;
        struct stat st;
        int fd = open(p, O_RDONLY);

        ASSERT_GE(fd, 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        buf = malloc((size_t)st.st_size + 1);
        ASSERT_NOT_NULL(buf);
        ASSERT_EQ(read(fd, buf, (size_t)st.st_size), st.st_size);
        buf[st.st_size] = 0;
        close(fd);
        dcom_free(p);
        *ret_len = (size_t)st.st_size;
        return buf;
}

static void hash_of(const char *password, uint8_t h[16]) {
        ASSERT_OK(accounts_nt_hash(password, h));
}

TEST(nt_hash_vectors) {
        /* [MS-NLMP] 4.2.2.1.2: NTOWFv1("Password") */
        static const uint8_t password[16] = {
                0xa4, 0xf4, 0x9c, 0x40, 0x65, 0x10, 0xbd, 0xca,
                0xb6, 0x82, 0x4e, 0xe7, 0xc3, 0x0f, 0xd8, 0x52,
        };
        /* MD4 of no bytes (RFC 1320 A.5): the NT hash of the empty password. */
        static const uint8_t empty[16] = {
                0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31,
                0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0,
        };
        uint8_t h[16], h2[16];

        hash_of("Password", h);
        ASSERT_MEM_EQ(h, password, 16);
        hash_of("", h);
        ASSERT_MEM_EQ(h, empty, 16);
        /* UTF-16, not bytes: "é" is one unit 0x00e9, a supplementary character two. */
        hash_of("\xc3\xa9", h);
        ASSERT_FALSE(memcmp(h, empty, 16) == 0);
        hash_of("\xf0\x9f\x94\x91", h2);
        ASSERT_FALSE(memcmp(h, h2, 16) == 0);
        ASSERT_ERRNO(accounts_nt_hash("\xff", h), -EILSEQ);
        ASSERT_ERRNO(accounts_nt_hash("\xed\xa0\x80", h), -EILSEQ);   /* an encoded surrogate */
}

TEST(empty_store) {
        struct account a, *v = (struct account *)1;
        size_t n = 99;
        char *p;

        fresh_root("empty");
        p = file_path();
        ASSERT_TRUE(strncmp(p, root, strlen(root)) == 0);
        ASSERT_STR_EQ(p + strlen(root), "/private/ntlm-accounts");
        dcom_free(p);
        ASSERT_ERRNO(accounts_lookup("alice", &a), -ENOENT);
        ASSERT_OK(accounts_list(&v, &n));
        ASSERT_EQ(n, 0);
        ASSERT_NULL(v);
        ASSERT_ERRNO(accounts_delete("alice"), -ENOENT);
        ASSERT_ERRNO(accounts_set_disabled("alice", true), -ENOENT);
        /* Neither created anything. */
        char dir[600];
        snprintf(dir, sizeof dir, "%s/private", root);
        ASSERT_EQ(access(dir, F_OK), -1);
}

TEST(add_lookup_change) {
        struct account a, b;
        uint8_t h[16];

        fresh_root("add");
        ASSERT_OK(accounts_set_password("Alice", "Password"));
        hash_of("Password", h);
        ASSERT_OK(accounts_lookup("Alice", &a));
        ASSERT_STR_EQ(a.name, "Alice");
        ASSERT_EQ(a.rid, 1000);
        ASSERT_MEM_EQ(a.nt_hash, h, 16);
        ASSERT_FALSE(a.disabled);
        /* Case-insensitive lookup, case-preserving name. */
        ASSERT_OK(accounts_lookup("alice", &b));
        ASSERT_STR_EQ(b.name, "Alice");
        ASSERT_OK(accounts_lookup("ALICE", &b));
        ASSERT_EQ(b.rid, 1000);
        ASSERT_ERRNO(accounts_lookup("alic", &b), -ENOENT);
        ASSERT_ERRNO(accounts_lookup("alicee", &b), -ENOENT);

        /* Changing the password through another case keeps the name, RID and flag. */
        ASSERT_OK(accounts_set_disabled("ALICE", true));
        ASSERT_OK(accounts_set_password("aLiCe", "other"));
        ASSERT_OK(accounts_lookup("alice", &b));
        ASSERT_STR_EQ(b.name, "Alice");
        ASSERT_EQ(b.rid, 1000);
        ASSERT_TRUE(b.disabled);
        hash_of("other", h);
        ASSERT_MEM_EQ(b.nt_hash, h, 16);
        ASSERT_OK(accounts_set_disabled("alice", false));
        ASSERT_OK(accounts_lookup("alice", &b));
        ASSERT_FALSE(b.disabled);

        /* A hash given as is. */
        static const uint8_t given[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
        ASSERT_OK(accounts_set_hash("bob", given));
        ASSERT_OK(accounts_lookup("BOB", &b));
        ASSERT_EQ(b.rid, 1001);
        ASSERT_MEM_EQ(b.nt_hash, given, 16);
}

TEST(unicode_names) {
        struct account a;

        fresh_root("unicode");
        /* Ä/ä and Σ/σ upper-case alike; ß has no one-unit upper case and stays itself. */
        ASSERT_OK(accounts_set_password("\xc3\x84rger", "pw"));                 /* Ärger */
        ASSERT_OK(accounts_lookup("\xc3\xa4RGER", &a));                         /* äRGER */
        ASSERT_STR_EQ(a.name, "\xc3\x84rger");
        /* Σοφία, looked up as σΟΦΊΑ */
        ASSERT_OK(accounts_set_password("\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1", "pw"));
        ASSERT_OK(accounts_lookup("\xcf\x83\xce\x9f\xce\xa6\xce\x8a\xce\x91", &a));
        ASSERT_EQ(a.rid, 1001);
        ASSERT_OK(accounts_set_password("stra\xc3\x9f" "e", "pw"));             /* straße */
        ASSERT_ERRNO(accounts_lookup("STRASSE", &a), -ENOENT);
        ASSERT_OK(accounts_lookup("STRA\xc3\x9f" "E", &a));
        ASSERT_EQ(a.rid, 1002);
        /* Outside the BMP: the surrogates are compared as they are. */
        ASSERT_OK(accounts_set_password("key\xf0\x9f\x94\x91", "pw"));
        ASSERT_OK(accounts_lookup("KEY\xf0\x9f\x94\x91", &a));
        ASSERT_EQ(a.rid, 1003);
}

TEST(bad_names) {
        char longest[ACCOUNT_NAME_MAX + 2];
        static const char *const bad[] = {
                "", "a:b", ":", "a\nb", "a\tb", "\x7f", "tab\t", "a\rb", "\x1b[31mred",
                "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80",     /* not UTF-8 */
                "c1\xc2\x85",                                   /* U+0085, a C1 control */
        };
        struct account a;

        fresh_root("names");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                ASSERT_ERRNO(accounts_set_password(bad[i], "pw"), -EINVAL);
                ASSERT_ERRNO(accounts_lookup(bad[i], &a), -EINVAL);
                ASSERT_ERRNO(accounts_delete(bad[i]), -EINVAL);
                ASSERT_ERRNO(accounts_set_disabled(bad[i], true), -EINVAL);
        }
        ASSERT_ERRNO(accounts_set_password(NULL, "pw"), -EINVAL);
        ASSERT_ERRNO(accounts_set_password("x", NULL), -EINVAL);
        ASSERT_ERRNO(accounts_set_password("x", "\xff"), -EILSEQ);
        /* Nothing was created by refused calls. */
        ASSERT_ERRNO(accounts_lookup("x", &a), -ENOENT);

        memset(longest, 'n', ACCOUNT_NAME_MAX);
        longest[ACCOUNT_NAME_MAX] = 0;
        ASSERT_OK(accounts_set_password(longest, "pw"));
        ASSERT_OK(accounts_lookup(longest, &a));
        ASSERT_STR_EQ(a.name, longest);
        longest[ACCOUNT_NAME_MAX] = 'n';
        longest[ACCOUNT_NAME_MAX + 1] = 0;
        ASSERT_ERRNO(accounts_set_password(longest, "pw"), -EINVAL);
        /* Spaces, punctuation and a leading '#' are names like any other. */
        ASSERT_OK(accounts_set_password("#John Smith (ops)", "pw"));
        ASSERT_OK(accounts_lookup("#JOHN SMITH (OPS)", &a));
}

TEST(rids_never_reused) {
        struct account a, *v;
        size_t n;

        fresh_root("rids");
        ASSERT_OK(accounts_set_password("a", "pw"));
        ASSERT_OK(accounts_set_password("b", "pw"));
        ASSERT_OK(accounts_set_password("c", "pw"));
        ASSERT_OK(accounts_delete("C"));
        ASSERT_ERRNO(accounts_lookup("c", &a), -ENOENT);
        ASSERT_ERRNO(accounts_delete("c"), -ENOENT);
        ASSERT_OK(accounts_set_password("d", "pw"));
        ASSERT_OK(accounts_lookup("d", &a));
        ASSERT_EQ(a.rid, 1003);
        ASSERT_OK(accounts_set_password("c", "pw"));
        ASSERT_OK(accounts_lookup("c", &a));
        ASSERT_EQ(a.rid, 1004);
        /* Even when every account is gone. */
        ASSERT_OK(accounts_delete("a"));
        ASSERT_OK(accounts_delete("b"));
        ASSERT_OK(accounts_delete("c"));
        ASSERT_OK(accounts_delete("d"));
        ASSERT_OK(accounts_list(&v, &n));
        ASSERT_EQ(n, 0);
        ASSERT_OK(accounts_set_password("a", "pw"));
        ASSERT_OK(accounts_lookup("a", &a));
        ASSERT_EQ(a.rid, 1005);

        /* The list keeps the order of addition, and deletion keeps the others' order. */
        ASSERT_OK(accounts_set_password("b", "pw"));
        ASSERT_OK(accounts_set_password("c", "pw"));
        ASSERT_OK(accounts_delete("b"));
        ASSERT_OK(accounts_list(&v, &n));
        ASSERT_EQ(n, 2);
        ASSERT_STR_EQ(v[0].name, "a");
        ASSERT_EQ(v[0].rid, 1005);
        ASSERT_STR_EQ(v[1].name, "c");
        ASSERT_EQ(v[1].rid, 1007);
        dcom_free(v);
}

static void check_sid_syntax(const char *sid) {
        unsigned long x[3];
        char tail;

        ASSERT_EQ(sscanf(sid, "S-1-5-21-%lu-%lu-%lu%c", &x[0], &x[1], &x[2], &tail), 3);
        for (int i = 0; i < 3; i++)
                ASSERT_LE(x[i], UINT32_MAX);
}

TEST(machine_sid) {
        char sid[ACCOUNT_MACHINE_SID_MAX], again[ACCOUNT_MACHINE_SID_MAX];
        char other[ACCOUNT_MACHINE_SID_MAX];
        char small[10];

        fresh_root("sid");
        /* Created when first asked for, on an empty store. */
        ASSERT_OK(accounts_machine_sid(sid, sizeof sid));
        check_sid_syntax(sid);
        ASSERT_OK(accounts_machine_sid(again, sizeof again));
        ASSERT_STR_EQ(again, sid);
        /* Kept across changes. */
        ASSERT_OK(accounts_set_password("a", "pw"));
        ASSERT_OK(accounts_delete("a"));
        ASSERT_OK(accounts_machine_sid(again, sizeof again));
        ASSERT_STR_EQ(again, sid);
        ASSERT_ERRNO(accounts_machine_sid(small, sizeof small), -ERANGE);
        /* Created by the first change too. */
        fresh_root("sid2");
        ASSERT_OK(accounts_set_password("a", "pw"));
        ASSERT_OK(accounts_machine_sid(other, sizeof other));
        check_sid_syntax(other);
        ASSERT_FALSE(strcmp(other, sid) == 0);          /* random: 96 bits */
        /* And read from the file, whoever wrote it. */
        fresh_root("sid3");
        static const char f[] = "opendcom-ntlm-accounts:1:S-1-5-21-1-4294967295-0:1000\n";
        write_file(f, sizeof f - 1);
        ASSERT_OK(accounts_machine_sid(sid, sizeof sid));
        ASSERT_STR_EQ(sid, "S-1-5-21-1-4294967295-0");
}

/* Two processes asking for the SID of a store that has none yet get the same one. */
TEST(machine_sid_race) {
        char sid[ACCOUNT_MACHINE_SID_MAX], child[ACCOUNT_MACHINE_SID_MAX] = "";
        int pipefd[2], st;
        pid_t pid;

        fresh_root("sidrace");
        ASSERT_EQ(pipe(pipefd), 0);
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                char s[ACCOUNT_MACHINE_SID_MAX];
                int r = accounts_machine_sid(s, sizeof s);
                if (r < 0 || write(pipefd[1], s, strlen(s)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(pipefd[1]);
        ASSERT_OK(accounts_machine_sid(sid, sizeof sid));
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT_GT(read(pipefd[0], child, sizeof child - 1), 0);
        close(pipefd[0]);
        ASSERT_STR_EQ(child, sid);
}

TEST(modes_and_no_plaintext) {
        char dir[600];
        struct stat st;
        char *p, *text;
        size_t len;

        fresh_root("modes");
        umask(0);       /* the modes must not depend on the caller's umask */
        ASSERT_OK(accounts_set_password("alice", "s3cr3t-Pa55w0rd"));
        umask(022);
        snprintf(dir, sizeof dir, "%s/private", root);
        ASSERT_EQ(stat(dir, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0700);
        p = file_path();
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        char lock[700];
        snprintf(lock, sizeof lock, "%s.lock", p);
        ASSERT_EQ(stat(lock, &st), 0);
        ASSERT_EQ(st.st_mode & 077, 0);
        dcom_free(p);

        text = read_file(&len);
        ASSERT_NULL(strstr(text, "s3cr3t"));
        ASSERT_NULL(memmem(text, len, "s\0" "3\0" "c\0", 6));   /* nor as UTF-16 */
        ASSERT_NOT_NULL(strstr(text, "alice:1000:"));
        free(text);

        /* A private directory left open by someone is closed again by the next write. */
        ASSERT_EQ(chmod(dir, 0755), 0);
        ASSERT_OK(accounts_set_password("bob", "pw"));
        ASSERT_EQ(stat(dir, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0700);
        /* No temporary file is left behind. */
        DIR *d = opendir(dir);
        struct dirent *de;
        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    strcmp(de->d_name, "ntlm-accounts") && strcmp(de->d_name, "ntlm-accounts.lock"))
                        test_fail(__FILE__, __LINE__, "%s is left in %s", de->d_name, dir);
        closedir(d);
}

TEST(file_format) {
        static const char want[] =
                "alice:1000:a4f49c406510bdcab6824ee7c30fd852:\n"
                "bob:1001:a4f49c406510bdcab6824ee7c30fd852:D\n";
        char *text, *nl;
        size_t len;

        fresh_root("format");
        ASSERT_OK(accounts_set_password("alice", "Password"));
        ASSERT_OK(accounts_set_password("bob", "Password"));
        ASSERT_OK(accounts_set_disabled("bob", true));
        text = read_file(&len);
        ASSERT_TRUE(strncmp(text, "opendcom-ntlm-accounts:1:S-1-5-21-", 34) == 0);
        nl = strchr(text, '\n');
        ASSERT_NOT_NULL(nl);
        ASSERT_TRUE(nl - text > 5 && strncmp(nl - 5, ":1002", 5) == 0);
        ASSERT_STR_EQ(nl + 1, want);
        free(text);
}

#define HEADER "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:1010\n"
#define HASH "a4f49c406510bdcab6824ee7c30fd852"

/* Files the parser must refuse whole. */
static const char *const corrupt[] = {
        "",                                                     /* empty */
        "\n",
        "alice:1000:" HASH ":\n",                               /* no header */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:1010",         /* unterminated */
        "opendcom-ntlm-accounts:2:S-1-5-21-1-2-3:1010\n",       /* unknown version */
        "opendcom-ntlm-account:1:S-1-5-21-1-2-3:1010\n",        /* bad magic */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:1010:\n",      /* extra field */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3\n",            /* missing field */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2:1010\n",         /* two sub-authorities */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3-4:1010\n",     /* four */
        "opendcom-ntlm-accounts:1:S-1-5-32-1-2-3:1010\n",       /* not a machine SID */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-4294967296:1010\n",
        "opendcom-ntlm-accounts:1:S-1-5-21-01-2-3:1010\n",      /* leading zero */
        "opendcom-ntlm-accounts:1:S-1-5-21--2-3:1010\n",
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3-:1010\n",
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-+3:1010\n",
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:999\n",        /* next RID below 1000 */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:\n",
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:1010\r\n",     /* CRLF */
        "opendcom-ntlm-accounts:1:S-1-5-21-1-2-3:99999999999\n",
        HEADER "\n",                                            /* empty line */
        HEADER "alice:1000:" HASH ":",                          /* unterminated */
        HEADER "alice:1000:" HASH ":\r\n",
        HEADER "alice:1000:" HASH "\n",                         /* missing field */
        HEADER "alice:1000:" HASH ":D:\n",                      /* extra field */
        HEADER "alice:1000:" HASH ":X\n",                       /* unknown flag */
        HEADER "alice:1000:" HASH ":DD\n",
        HEADER "alice:1000:" HASH ":d\n",
        HEADER ":1000:" HASH ":\n",                             /* empty name */
        HEADER "al\tice:1000:" HASH ":\n",                      /* control character */
        HEADER "al\xff" "ice:1000:" HASH ":\n",                 /* not UTF-8 */
        HEADER "alice:999:" HASH ":\n",                         /* RID below 1000 */
        HEADER "alice:1010:" HASH ":\n",                        /* RID not below next */
        HEADER "alice:01000:" HASH ":\n",
        HEADER "alice:-1000:" HASH ":\n",
        HEADER "alice:1000 :" HASH ":\n",
        HEADER "alice::" HASH ":\n",
        HEADER "alice:1000:a4f49c406510bdcab6824ee7c30fd85:\n",         /* 31 digits */
        HEADER "alice:1000:a4f49c406510bdcab6824ee7c30fd8520:\n",       /* 33 digits */
        HEADER "alice:1000:a4f49c406510bdcab6824ee7c30fd85g:\n",        /* not hex */
        HEADER "alice:1000:" HASH ":\n" "bob:1000:" HASH ":\n",         /* RID twice */
        HEADER "alice:1000:" HASH ":\n" "ALICE:1001:" HASH ":\n",       /* name twice */
        HEADER "\xc3\x84rger:1000:" HASH ":\n" "\xc3\xa4rger:1001:" HASH ":\n",
        HEADER "alice:1000:" HASH ":\n" "bob:1001:" HASH ":\n" "garbage\n",
};

TEST(corrupt_files) {
        struct account a, *v;
        size_t n;
        char sid[ACCOUNT_MACHINE_SID_MAX];

        fresh_root("corrupt");
        for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
                char *text;
                size_t len;

                write_file(corrupt[i], strlen(corrupt[i]));
                if (accounts_lookup("alice", &a) != -EBADMSG)
                        test_fail(__FILE__, __LINE__, "file %zu was not refused:\n%s", i,
                                  corrupt[i]);
                ASSERT_ERRNO(accounts_list(&v, &n), -EBADMSG);
                ASSERT_ERRNO(accounts_machine_sid(sid, sizeof sid), -EBADMSG);
                /* A writer refuses it too, and leaves it as it was. */
                ASSERT_ERRNO(accounts_set_password("carol", "pw"), -EBADMSG);
                ASSERT_ERRNO(accounts_delete("alice"), -EBADMSG);
                text = read_file(&len);
                ASSERT_EQ(len, strlen(corrupt[i]));
                ASSERT_MEM_EQ(text, corrupt[i], len);
                free(text);
        }
        /* A NUL byte. */
        static const char nul[] = HEADER "al\0ice:1000:" HASH ":\n";
        write_file(nul, sizeof nul - 1);
        ASSERT_ERRNO(accounts_lookup("al", &a), -EBADMSG);
        /* A line longer than any account line. */
        char big[2048];
        snprintf(big, sizeof big, "%s", HEADER);
        memset(big + strlen(HEADER), 'x', 1500);
        strcpy(big + strlen(HEADER) + 1500, ":1000:" HASH ":\n");
        write_file(big, strlen(big));
        ASSERT_ERRNO(accounts_lookup("alice", &a), -EBADMSG);
        /* Not a regular file. */
        char *p = file_path();
        ASSERT_EQ(unlink(p), 0);
        ASSERT_EQ(mkdir(p, 0700), 0);
        ASSERT_ERRNO(accounts_lookup("alice", &a), -EBADMSG);
        ASSERT_EQ(rmdir(p), 0);
        dcom_free(p);
}

TEST(valid_variants) {
        static const char f[] =
                "opendcom-ntlm-accounts:1:S-1-5-21-0-4294967295-7:4294967295\n"
                "alice:1000:A4F49C406510BDCAB6824EE7C30FD852:D\n"
                "bob:4294967294:" HASH ":\n";
        uint8_t h[16];
        struct account a;

        fresh_root("valid");
        write_file(f, sizeof f - 1);
        ASSERT_OK(accounts_lookup("alice", &a));
        ASSERT_TRUE(a.disabled);
        hash_of("Password", h);
        ASSERT_MEM_EQ(a.nt_hash, h, 16);
        ASSERT_OK(accounts_lookup("bob", &a));
        ASSERT_EQ(a.rid, 4294967294u);
        /* Every RID is spent: a new account is refused, changes still work. */
        ASSERT_ERRNO(accounts_set_password("carol", "pw"), -ENOSPC);
        ASSERT_OK(accounts_set_password("bob", "new"));
        ASSERT_OK(accounts_set_disabled("alice", false));
}

/* Random damage to a valid file: every result is an answer, never a crash (ASan). */
TEST(damaged_files) {
        static const char f[] =
                "opendcom-ntlm-accounts:1:S-1-5-21-11-22-33:1003\n"
                "alice:1000:" HASH ":\n"
                "bob:1001:" HASH ":D\n"
                "\xc3\x84rger:1002:" HASH ":\n";
        static const char alphabet[] = ":\n\r\0-0123456789abcdefDS\xc3\x84\xff ";
        char buf[sizeof f + 8];
        unsigned seed = 12345;

        fresh_root("damaged");
        for (int iter = 0; iter < 3000; iter++) {
                size_t len = sizeof f - 1;
                struct account a;
                int r;

                memcpy(buf, f, len);
                for (int k = 0; k < 1 + iter % 3; k++) {
                        size_t at = (size_t)(rand_r(&seed)) % len;
                        switch (rand_r(&seed) % 3) {
                        case 0:
                                buf[at] = alphabet[(size_t)rand_r(&seed) % (sizeof alphabet - 1)];
                                break;
                        case 1:
                                len = at;       /* truncate */
                                break;
                        default:
                                memmove(buf + at, buf + at + 1, len - at - 1);  /* delete a byte */
                                len--;
                                break;
                        }
                        if (len == 0)
                                break;
                }
                write_file(buf, len);
                r = accounts_lookup("alice", &a);
                if (r != 0 && r != -ENOENT && r != -EBADMSG)
                        test_fail(__FILE__, __LINE__, "iteration %d: %d (%s)", iter, r,
                                  strerror(-r));
        }
}

/* Two processes adding 50 accounts each while a third reads: all 100, RIDs distinct. */
#define PER_PROC 50

static int add_many(const char *prefix) {
        char name[32];

        for (int i = 0; i < PER_PROC; i++) {
                snprintf(name, sizeof name, "%s%d", prefix, i);
                if (accounts_set_password(name, name) < 0)
                        return 1;
        }
        return 0;
}

TEST(concurrent_writers) {
        bool seen[2 * PER_PROC + 1] = { false };
        struct account a, *v;
        pid_t pid[2];
        size_t n;
        int st, reads = 0;

        fresh_root("concurrent");
        ASSERT_OK(accounts_set_password("first", "pw"));        /* RID 1000 */
        for (int i = 0; i < 2; i++) {
                pid[i] = fork();
                ASSERT_GE(pid[i], 0);
                if (pid[i] == 0)
                        _exit(add_many(i ? "b" : "a"));
        }
        /* Meanwhile readers always see a whole file: the old one or the new one. */
        for (;;) {
                pid_t done = waitpid(-1, &st, WNOHANG);
                ASSERT_OK(accounts_lookup("FIRST", &a));
                ASSERT_EQ(a.rid, 1000);
                reads++;
                if (done > 0) {
                        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                        int other = done == pid[0] ? 1 : 0;
                        ASSERT_EQ(waitpid(pid[other], &st, 0), pid[other]);
                        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                        break;
                }
        }
        ASSERT_GT(reads, 0);
        ASSERT_OK(accounts_list(&v, &n));
        ASSERT_EQ(n, 2 * PER_PROC + 1);
        for (size_t i = 0; i < n; i++) {
                ASSERT_GE(v[i].rid, 1000);
                ASSERT_LE(v[i].rid, 1000 + 2 * PER_PROC);
                ASSERT_FALSE(seen[v[i].rid - 1000]);
                seen[v[i].rid - 1000] = true;
        }
        dcom_free(v);
        for (int i = 0; i < PER_PROC; i++) {
                char name[32];
                uint8_t h[16];
                snprintf(name, sizeof name, "A%d", i);          /* added as "a%d" */
                ASSERT_OK(accounts_lookup(name, &a));
                hash_of(a.name, h);
                ASSERT_MEM_EQ(a.nt_hash, h, 16);
                snprintf(name, sizeof name, "b%d", i);
                ASSERT_OK(accounts_lookup(name, &a));
                hash_of(name, h);
                ASSERT_MEM_EQ(a.nt_hash, h, 16);
        }
}

/* As another user: the store is root's, and says so with -EACCES. */
TEST(not_root) {
        int st;
        pid_t pid;

        if (geteuid() != 0)
                SKIP("needs root to drop to another user");
        fresh_root("notroot");
        ASSERT_OK(accounts_set_password("alice", "pw"));
        ASSERT_EQ(chmod(root, 0755), 0);
        ASSERT_EQ(chmod(test_state_dir(), 0755), 0);
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                struct account a, *v;
                size_t n;
                char sid[ACCOUNT_MACHINE_SID_MAX];

                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(10);
                if (accounts_lookup("alice", &a) != -EACCES)
                        _exit(11);
                if (accounts_list(&v, &n) != -EACCES)
                        _exit(12);
                if (accounts_set_password("alice", "x") != -EACCES)
                        _exit(13);
                if (accounts_set_password("mallory", "x") != -EACCES)
                        _exit(14);
                if (accounts_machine_sid(sid, sizeof sid) != -EACCES)
                        _exit(15);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        ASSERT_EQ(chmod(test_state_dir(), 0700), 0);
}

static int oom_add(void *ctx) {
        return accounts_set_password("oom", "pw");
}

static void oom_reset(void *ctx) {
        int r = accounts_delete("oom");
        ASSERT_TRUE(r == 0 || r == -ENOENT);
}

static int oom_lookup(void *ctx) {
        struct account a;
        return accounts_lookup("OOM", &a);
}

static int oom_list(void *ctx) {
        struct account *v;
        size_t n;
        int r = accounts_list(&v, &n);
        if (r >= 0)
                dcom_free(v);
        return r;
}

static int oom_sid(void *ctx) {
        char sid[ACCOUNT_MACHINE_SID_MAX];
        return accounts_machine_sid(sid, sizeof sid);
}

static int oom_delete(void *ctx) {
        return accounts_delete("oom");
}

static void oom_readd(void *ctx) {
        ASSERT_OK(accounts_set_password("oom", "pw"));
}

TEST(out_of_memory) {
        struct account a;

        fresh_root("oom");
        ASSERT_GT(ASSERT_OOM_LOOP(oom_sid, NULL, NULL), 0);
        ASSERT_OK(accounts_set_password("other", "pw"));
        ASSERT_GT(ASSERT_OOM_LOOP(oom_add, oom_reset, NULL), 0);
        ASSERT_OK(accounts_set_password("oom", "pw"));
        ASSERT_GT(ASSERT_OOM_LOOP(oom_lookup, NULL, NULL), 0);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_list, NULL, NULL), 0);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_delete, oom_readd, NULL), 0);
        /* Failed runs left the store whole. */
        ASSERT_OK(accounts_lookup("other", &a));
        ASSERT_EQ(a.rid, 1000);
}
