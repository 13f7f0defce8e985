/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Several processes on one registry: concurrent read-modify-write transactions lose
 * no update and never surface "database is locked"; a writer killed with SIGKILL at
 * any moment leaves a file that opens clean and holds each transaction whole or not
 * at all.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dcom/winreg.h>

#include "registry/registry-internal.h"
#include "registry/regfile.h"
#include "test.h"

#define WORKERS 4
#define SECONDS 3.0

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Child body: for SECONDS, increments the shared counter in a transaction and writes
 * and enumerates keys outside one.  Stores how many increments it made under its own
 * key.  Exit status 0 if every call succeeded, else which one failed.
 */
static int worker(int n) {
        double end = now() + SECONDS;
        DWORD done = 0;
        WCHAR mine[64];
        HKEY k;

        for (int i = 0; i < 40 && u"Software\\Conc\\W"[i]; i++)
                mine[i] = u"Software\\Conc\\W"[i];
        mine[15] = (WCHAR)('0' + n);
        mine[16] = 0;
        for (int i = 0; now() < end; i++) {
                DWORD v = 0, size = sizeof v;
                LSTATUS s = dcom_reg_begin();
                if (s)
                        return 100 + (int)(s & 0x7f);
                s = RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\Conc", u"Counter", RRF_RT_REG_DWORD, NULL,
                                 &v, &size);
                if (s && s != ERROR_FILE_NOT_FOUND)
                        return 10;
                v++;
                s = RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Conc", u"Counter", REG_DWORD, &v, 4);
                if (s)
                        return 11;
                s = dcom_reg_commit();
                if (s)
                        return 12;
                done++;
                /* Plain (auto-committed) writes and reads of its own and others' keys. */
                s = RegCreateKeyExW(HKEY_LOCAL_MACHINE, mine, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL);
                if (s)
                        return 13;
                DWORD iv = (DWORD)i;
                s = RegSetValueExW(k, u"Last", 0, REG_DWORD, (const BYTE *)&iv, 4);
                RegCloseKey(k);
                if (s)
                        return 14;
                HKEY c;
                if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Conc", 0, KEY_READ, &c) == ERROR_SUCCESS) {
                        WCHAR name[32];
                        for (DWORD j = 0;; j++) {
                                DWORD cch = 32;
                                s = RegEnumKeyExW(c, j, name, &cch, NULL, NULL, NULL, NULL);
                                if (s == ERROR_NO_MORE_ITEMS)
                                        break;
                                if (s)
                                        return 15;
                        }
                        RegCloseKey(c);
                }
        }
        if (RegSetKeyValueW(HKEY_LOCAL_MACHINE, mine, u"Done", REG_DWORD, &done, 4))
                return 16;
        return 0;
}

TEST(concurrent_writers_lose_nothing) {
        pid_t pids[WORKERS];
        double t0 = now();
        DWORD v = 0, size = sizeof v;

        test_state_dir();
        /* Create the hive first so the workers do not all race to migrate it. */
        HKEY k;
        ASSERT_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Conc", 0, NULL, 0, KEY_ALL_ACCESS,
                                  NULL, &k, NULL), ERROR_SUCCESS);
        RegCloseKey(k);
        hive_close_all();

        for (int i = 0; i < WORKERS; i++) {
                pids[i] = fork();
                ASSERT_GE(pids[i], 0);
                if (pids[i] == 0)
                        _exit(worker(i));
        }
        for (int i = 0; i < WORKERS; i++) {
                int st;
                ASSERT_EQ(waitpid(pids[i], &st, 0), pids[i]);
                ASSERT_TRUE(WIFEXITED(st));
                ASSERT_EQ(WEXITSTATUS(st), 0);
        }
        DWORD total = 0;
        for (int i = 0; i < WORKERS; i++) {
                WCHAR path[] = u"Software\\Conc\\W0";
                DWORD d = 0;
                path[15] = (WCHAR)('0' + i);
                size = sizeof d;
                ASSERT_EQ(RegGetValueW(HKEY_LOCAL_MACHINE, path, u"Done", RRF_RT_REG_DWORD, NULL, &d, &size),
                          ERROR_SUCCESS);
                ASSERT_GT(d, 0);
                total += d;
        }
        size = sizeof v;
        ASSERT_EQ(RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\Conc", u"Counter", RRF_RT_REG_DWORD, NULL,
                               &v, &size), ERROR_SUCCESS);
        ASSERT_EQ(v, total);            /* no lost update */
        printf("%d processes, %u read-modify-write transactions in %.2f s\n", WORKERS,
               (unsigned)total, now() - t0);
}

/* Writes batches of BATCH values, one transaction per batch key, until killed; with
   `midway`, says so through fd when the first batch is half written, and waits there. */
#define BATCH 400

static void writer(int fd, bool midway) {
        WCHAR key[64], name[16];

        for (unsigned b = 0;; b++) {
                unsigned n = 0;
                const char *pfx = "Software\\Crash\\B";
                for (; pfx[n]; n++)
                        key[n] = (WCHAR)pfx[n];
                for (unsigned d = 100000; d; d /= 10)
                        key[n++] = (WCHAR)('0' + (b / d) % 10);
                key[n] = 0;
                if (dcom_reg_begin())
                        _exit(2);
                HKEY k;
                if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL))
                        _exit(3);
                for (unsigned i = 0; i < BATCH; i++) {
                        DWORD v = i;
                        name[0] = 'v';
                        name[1] = (WCHAR)('0' + i / 100);
                        name[2] = (WCHAR)('0' + i / 10 % 10);
                        name[3] = (WCHAR)('0' + i % 10);
                        name[4] = 0;
                        if (RegSetValueExW(k, name, 0, REG_DWORD, (const BYTE *)&v, 4))
                                _exit(4);
                        if (midway && b == 0 && i == BATCH / 2) {
                                /* first batch half done: killed here, not after a commit
                                   that a fast writer could make before the kill comes */
                                (void)!write(fd, "x", 1);
                                for (;;)
                                        pause();
                        }
                }
                RegCloseKey(k);
                if (dcom_reg_commit())
                        _exit(5);
        }
}

TEST(sigkill_mid_transaction_keeps_the_file_whole) {
        char path[256];
        int fds[2];
        char c;

        test_state_dir();
        snprintf(path, sizeof path, "%s/registry.db", test_state_dir());
        for (int round = 0; round < 5; round++) {
                ASSERT_EQ(pipe(fds), 0);
                hive_close_all();
                pid_t pid = fork();
                ASSERT_GE(pid, 0);
                if (pid == 0) {
                        close(fds[0]);
                        writer(fds[1], round == 0);
                        _exit(0);
                }
                close(fds[1]);
                /* Round 0: kill in the middle of the very first transaction.  Later rounds:
                 * at some point during a stream of commits. */
                if (round == 0)
                        ASSERT_EQ(read(fds[0], &c, 1), 1);
                else
                        usleep(50000 + 37000 * (unsigned)round);
                kill(pid, SIGKILL);
                int st;
                ASSERT_EQ(waitpid(pid, &st, 0), pid);
                ASSERT_TRUE(WIFSIGNALED(st));
                close(fds[0]);

                /* The file is consistent... */
                sqlite3 *db;
                sqlite3_stmt *q;
                ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
                ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
                ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
                ASSERT_STR_EQ((const char *)sqlite3_column_text(q, 0), "ok");
                sqlite3_finalize(q);
                sqlite3_close(db);

                /* ... and every batch is all or nothing. */
                hive_close_all();
                HKEY crash;
                LSTATUS s = RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Crash", 0, KEY_READ, &crash);
                if (round == 0) {
                        ASSERT_EQ(s, ERROR_FILE_NOT_FOUND);     /* nothing was committed */
                        continue;
                }
                if (s == ERROR_FILE_NOT_FOUND)
                        continue;
                ASSERT_EQ(s, ERROR_SUCCESS);
                DWORD nkeys;
                ASSERT_EQ(RegQueryInfoKeyW(crash, NULL, NULL, NULL, &nkeys, NULL, NULL, NULL, NULL, NULL,
                                           NULL, NULL), ERROR_SUCCESS);
                for (DWORD i = 0; i < nkeys; i++) {
                        WCHAR name[32];
                        DWORD cch = 32, nvals;
                        HKEY b;
                        ASSERT_EQ(RegEnumKeyExW(crash, i, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
                        ASSERT_EQ(RegOpenKeyExW(crash, name, 0, KEY_READ, &b), ERROR_SUCCESS);
                        ASSERT_EQ(RegQueryInfoKeyW(b, NULL, NULL, NULL, NULL, NULL, NULL, &nvals, NULL, NULL,
                                                   NULL, NULL), ERROR_SUCCESS);
                        ASSERT_EQ(nvals, BATCH);
                        RegCloseKey(b);
                }
                printf("round %d: %u whole batches survived\n", round, (unsigned)nkeys);
                RegCloseKey(crash);
                ASSERT_EQ(RegDeleteTreeW(HKEY_LOCAL_MACHINE, u"Software\\Crash"), ERROR_SUCCESS);
        }
}

/*
 * HKLM is writable only by root: another user reads it, gets ERROR_ACCESS_DENIED on
 * any write, and writes its own HKCU.  Checked by forking a child that drops to
 * nobody (needs root; skipped otherwise).
 */
static int as_nobody(void) {
        HKEY k;
        DWORD v = 0, size = sizeof v;

        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return 20;
        if (RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\Perm", u"V", RRF_RT_REG_DWORD, NULL, &v, &size))
                return 21;                              /* HKLM is readable */
        if (v != 42)
                return 22;
        if (RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Perm", u"V", REG_DWORD, &v, 4) !=
            ERROR_ACCESS_DENIED)
                return 23;                              /* ... and not writable */
        if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Perm\\New", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                            &k, NULL) != ERROR_ACCESS_DENIED)
                return 24;
        if (RegDeleteKeyW(HKEY_LOCAL_MACHINE, u"Software\\Perm") != ERROR_ACCESS_DENIED)
                return 25;
        if (RegSetKeyValueW(HKEY_CURRENT_USER, u"Software\\Mine", u"V", REG_DWORD, &v, 4))
                return 26;                              /* own HKCU is writable */
        /* HKCR writes land in HKLM unless the user has the key: denied here. */
        if (RegSetKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{x}", NULL, REG_DWORD, &v, 4) != ERROR_ACCESS_DENIED)
                return 27;
        return 0;
}

/* As nobody without a usable HKCU: HKLM and HKCR still read, HKCU writes are denied. */
static int as_nobody_without_hkcu(void) {
        DWORD v = 0, size = sizeof v;

        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return 40;
        if (RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\Perm", u"V", RRF_RT_REG_DWORD, NULL, &v, &size))
                return 41;
        HKEY k;
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, NULL, 0, KEY_READ, &k))
                return 42;
        RegCloseKey(k);
        if (RegSetKeyValueW(HKEY_CURRENT_USER, u"Software\\Mine", u"V", REG_DWORD, &v, 4) == ERROR_SUCCESS)
                return 43;
        return 0;
}

/* As nobody with the machine state unreadable: HKLM is there but denied, not "deleted". */
static int as_nobody_locked_out(void) {
        DWORD v = 1;

        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return 30;
        if (RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\X", u"V", REG_DWORD, &v, 4) != ERROR_ACCESS_DENIED)
                return 31;
        if (RegSetValueExW(HKEY_LOCAL_MACHINE, u"V", 0, REG_DWORD, (const BYTE *)&v, 4) != ERROR_ACCESS_DENIED)
                return 32;
        return 0;
}

TEST(hklm_is_root_only) {
        char dir[256];
        DWORD v = 42;
        int st;

        test_state_dir();
        if (geteuid() != 0)
                SKIP("needs root to drop to another user");
        ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Perm", u"V", REG_DWORD, &v, 4), ERROR_SUCCESS);
        hive_close_all();
        ASSERT_EQ(chmod(test_state_dir(), 0755), 0);
        snprintf(dir, sizeof dir, "%s/users", test_state_dir());
        (void)mkdir(dir, 0755);
        ASSERT_EQ(chmod(dir, 0755), 0);
        /* Under a shared OPENDCOM_ROOT each user's HKCU lives in users/UID, theirs. */
        snprintf(dir, sizeof dir, "%s/users/65534", test_state_dir());
        ASSERT_EQ(mkdir(dir, 0700), 0);
        ASSERT_EQ(chown(dir, 65534, 65534), 0);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0)
                _exit(as_nobody());
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        /* Without a user hive (its directory is not theirs), HKLM and HKCR still read. */
        snprintf(dir, sizeof dir, "%s/users/65534", test_state_dir());
        ASSERT_EQ(chown(dir, 0, 0), 0);
        ASSERT_EQ(chmod(dir, 0700), 0);
        hive_close_all();
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0)
                _exit(as_nobody_without_hkcu());
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        /* With the state directory closed to others, their HKLM is denied. */
        ASSERT_EQ(chmod(test_state_dir(), 0700), 0);
        hive_close_all();
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0)
                _exit(as_nobody_locked_out());
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        /* Root still writes. */
        ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Perm", u"W", REG_DWORD, &v, 4), ERROR_SUCCESS);
}

/*
 * The acceptance case as users meet it: `reg import` of a large file killed with
 * SIGKILL part-way.  The import is one transaction, so the database opens clean and
 * holds all of the file or none of it, whenever the kill lands.
 */
#define IMPORT_VALUES 20000

static char *large_reg(size_t *ret_len) {
        struct buf b;
        static const char head[] = "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\Software\\Import]\r\n";

        buf_init(&b, 0);
        buf_append(&b, head, sizeof head - 1);
        for (unsigned i = 0; i < IMPORT_VALUES; i++) {
                char line[64];
                int n = snprintf(line, sizeof line, "\"v%05u\"=dword:%08x\r\n", i, i);
                buf_append(&b, line, (size_t)n);
        }
        ASSERT_EQ(b.error, 0);
        return (char *)buf_steal(&b, ret_len);
}

TEST(sigkill_mid_import_is_all_or_nothing) {
        size_t len;
        char *text = large_reg(&len);
        unsigned whole = 0, none = 0;

        test_state_dir();
        for (int round = 0; round < 6; round++) {
                hive_close_all();
                pid_t pid = fork();
                ASSERT_GE(pid, 0);
                if (pid == 0) {
                        struct regfile *f;
                        char *err;
                        if (regfile_parse((const uint8_t *)text, len, "large.reg", &f, &err) < 0)
                                _exit(2);
                        _exit(regfile_apply(f, &err) == ERROR_SUCCESS ? 0 : 3);
                }
                /* The first rounds kill inside the import; the last lets it finish. */
                if (round < 5) {
                        usleep(20000u + 40000u * (unsigned)round);
                        kill(pid, SIGKILL);
                }
                int st;
                ASSERT_EQ(waitpid(pid, &st, 0), pid);
                ASSERT_TRUE(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0));

                hive_close_all();
                HKEY k;
                LSTATUS s = RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Import", 0, KEY_READ, &k);
                if (s == ERROR_FILE_NOT_FOUND) {
                        none++;
                        continue;
                }
                ASSERT_EQ(s, ERROR_SUCCESS);
                DWORD nvals;
                ASSERT_EQ(RegQueryInfoKeyW(k, NULL, NULL, NULL, NULL, NULL, NULL, &nvals, NULL, NULL,
                                           NULL, NULL), ERROR_SUCCESS);
                ASSERT_EQ(nvals, IMPORT_VALUES);
                RegCloseKey(k);
                whole++;
                ASSERT_EQ(RegDeleteTreeW(HKEY_LOCAL_MACHINE, u"Software\\Import"), ERROR_SUCCESS);
        }
        printf("%u kills left nothing, %u found the import whole\n", none, whole);
        ASSERT_GT(none, 0);     /* at least one kill landed mid-import */
        ASSERT_GT(whole, 0);    /* and the unkilled import did complete */
        free(text);
}
