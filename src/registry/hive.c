/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hives: SQLite database files in WAL mode.  Many processes read and write one hive
 * at once; SQLite serialises writers, and our busy handler makes a writer wait (up to
 * a minute) instead of failing, so callers never see "database is locked".  Every API
 * call is one transaction, committed with synchronous=FULL: a process killed at any
 * point loses nothing it committed, and a half-done transaction is rolled back by the
 * next opener from the write-ahead log.
 *
 * Schema (version 1):
 *   keys(id, parent -> keys.id ON DELETE CASCADE, name UTF-16LE, fold, class, mtime,
 *        options, sd)           UNIQUE(parent, fold); roots have parent NULL
 *   vals(id, key -> keys.id ON DELETE CASCADE, name, fold, type, data)
 *                               UNIQUE(key, fold); id gives creation order
 * `fold` is the name upper-cased unit by unit (dcom_utf16_toupper) and stored as
 * UTF-16BE, so byte order equals Windows' case-insensitive sort order.  `sd` is
 * reserved for per-key security descriptors.  AUTOINCREMENT keeps a deleted key's
 * id from being reused, so a stale handle reports ERROR_KEY_DELETED, never another key.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/paths.h"
#include "registry/registry-internal.h"

static LOG_CHANNEL(registry);

static pthread_mutex_t lock;
static pthread_once_t lock_once = PTHREAD_ONCE_INIT;
static struct hive *hives[HIVE_MAX];
/* Bumped by every write, rollback and hive open: see hive_generation(). */
static _Atomic uint64_t generation;
static _Thread_local bool thread_tx;
static atomic_bool any_tx;              /* some thread is inside dcom_reg_begin() */

static const char *const stmt_sql[ST_MAX] = {
        [ST_ROOT] = "SELECT id FROM keys WHERE parent IS NULL AND fold = ?1",
        [ST_FIND_CHILD] = "SELECT id FROM keys WHERE parent = ?1 AND fold = ?2",
        [ST_INSERT_KEY] = "INSERT INTO keys(parent, name, fold, class, mtime, options) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [ST_TOUCH] = "UPDATE keys SET mtime = ?2 WHERE id = ?1",
        [ST_KEY_INFO] = "SELECT parent, name, class, mtime FROM keys WHERE id = ?1",
        [ST_CHILD_STATS] = "SELECT count(*), max(length(name)), max(length(class)) "
                           "FROM keys WHERE parent = ?1",
        [ST_LIST_CHILDREN] = "SELECT name, class, mtime FROM keys WHERE parent = ?1 ORDER BY fold",
        [ST_HAS_CHILDREN] = "SELECT 1 FROM keys WHERE parent = ?1 LIMIT 1",
        [ST_DELETE_KEY] = "DELETE FROM keys WHERE id = ?1",
        [ST_DELETE_CHILDREN] = "DELETE FROM keys WHERE parent = ?1",
        [ST_GET_VALUE] = "SELECT type, data FROM vals WHERE key = ?1 AND fold = ?2",
        [ST_SET_VALUE] = "INSERT INTO vals(key, name, fold, type, data) VALUES (?1, ?2, ?3, ?4, ?5) "
                         "ON CONFLICT(key, fold) DO UPDATE SET type = excluded.type, data = excluded.data",
        [ST_DELETE_VALUE] = "DELETE FROM vals WHERE key = ?1 AND fold = ?2",
        [ST_DELETE_VALUES] = "DELETE FROM vals WHERE key = ?1",
        [ST_LIST_VALUES] = "SELECT name, type, data FROM vals WHERE key = ?1 ORDER BY id",
        [ST_VALUE_STATS] = "SELECT count(*), max(length(name)), max(length(data)) "
                           "FROM vals WHERE key = ?1",
};

/* Each migration takes the schema from version i to i + 1. */
static const char *const migrations[HIVE_SCHEMA_VERSION] = {
        "CREATE TABLE keys("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  parent INTEGER REFERENCES keys(id) ON DELETE CASCADE,"
        "  name BLOB NOT NULL,"
        "  fold BLOB NOT NULL,"
        "  class BLOB,"
        "  mtime INTEGER NOT NULL,"
        "  options INTEGER NOT NULL DEFAULT 0,"
        "  sd BLOB);"
        "CREATE UNIQUE INDEX keys_child ON keys(parent, fold);"
        "CREATE TABLE vals("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  key INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
        "  name BLOB NOT NULL,"
        "  fold BLOB NOT NULL,"
        "  type INTEGER NOT NULL,"
        "  data BLOB NOT NULL);"
        "CREATE UNIQUE INDEX vals_name ON vals(key, fold);",
};

static void lock_init_attr(void) {
        pthread_mutexattr_t a;

        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&lock, &a);
        pthread_mutexattr_destroy(&a);
}

/*
 * A connection must not cross fork(): the child forgets the parent's hives (leaking
 * them by design -- closing would touch the parent's locks) and opens its own.  An
 * atfork handler, not a getpid() per call: that is a system call on every lookup.
 */
static void forget_hives(void) {
        for (int i = 0; i < HIVE_MAX; i++)
                hives[i] = NULL;
        thread_tx = false;
        atomic_store(&any_tx, false);
        lock_init_attr();               /* the parent's holder does not exist here */
}

static void lock_init(void) {
        lock_init_attr();
        pthread_atfork(NULL, NULL, forget_hives);
}

void hive_lock(void) {
        pthread_once(&lock_once, lock_init);
        pthread_mutex_lock(&lock);
}

void hive_unlock(void) {
        pthread_mutex_unlock(&lock);
}

int64_t hive_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        /* 11644473600 s from 1601-01-01 to 1970-01-01. */
        return ((int64_t)ts.tv_sec + 11644473600LL) * 10000000LL + ts.tv_nsec / 100;
}

int hive_fold(const WCHAR *name, size_t len, uint8_t *buf, size_t bufsize, uint8_t **ret,
              size_t *ret_size) {
        uint8_t *f = len <= bufsize / 2 ? buf : dcom_malloc(2 * len);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                WCHAR u = dcom_utf16_toupper(name[i]);
                f[2 * i] = (uint8_t)(u >> 8);
                f[2 * i + 1] = (uint8_t)u;
        }
        *ret = f;
        *ret_size = 2 * len;
        return 0;
}

LSTATUS hive_status(struct hive *h, int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return ERROR_SUCCESS;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return ERROR_ACCESS_DENIED;
        case SQLITE_NOMEM:
                return ERROR_OUTOFMEMORY;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_SCHEMA:
                return ERROR_BADDB;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return ERROR_BUSY;
        case SQLITE_CANTOPEN:
                return ERROR_CANTOPEN;
        case SQLITE_FULL:
        case SQLITE_IOERR:
                return ERROR_REGISTRY_IO_FAILED;
        case SQLITE_TOOBIG:
                return ERROR_INVALID_PARAMETER;
        default:
                log_debug(registry, "%s: sqlite error %d: %s", h && h->path ? h->path : "?", rc,
                          h && h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
                return ERROR_CANTWRITE;
        }
}

/*
 * Waits for another connection's write to finish: short sleeps first, then longer
 * ones, for about a second per statement; transaction starts and commits retry on top
 * of that (exec) up to a minute in all, after which the call fails with ERROR_BUSY.
 */
static int busy_handler(void *arg, int count) {
        (void)arg;
        if (count >= 120)
                return 0;               /* ~1 s; exec() keeps retrying up to its deadline */
        usleep(count < 20 ? 200 : 10000);
        return 1;
}

sqlite3_stmt *hive_stmt(struct hive *h, enum hive_stmt s) {
        if (!h->stmt[s]) {
                if (sqlite3_prepare_v3(h->db, stmt_sql[s], -1, SQLITE_PREPARE_PERSISTENT,
                                       &h->stmt[s], NULL) != SQLITE_OK) {
                        log_debug(registry, "prepare failed: %s", sqlite3_errmsg(h->db));
                        return NULL;
                }
        }
        sqlite3_reset(h->stmt[s]);
        sqlite3_clear_bindings(h->stmt[s]);
        return h->stmt[s];
}

/*
 * A statement left un-reset after SQLITE_ROW keeps its read snapshot open past COMMIT,
 * and the next BEGIN IMMEDIATE then fails with SQLITE_BUSY_SNAPSHOT for good once
 * another process has written.  Every transaction boundary resets them all.
 */
static void reset_all(struct hive *h) {
        for (int i = 0; i < ST_MAX; i++)
                if (h->stmt[i])
                        sqlite3_reset(h->stmt[i]);
        for (int i = 0; i < PATH_STMT_MAX; i++)
                if (h->path_stmt[i])
                        sqlite3_reset(h->path_stmt[i]);
}

/* Transaction control runs on every call: kept prepared (see exec). */
static const char *const tx_sql[TX_MAX] = {
        "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT op", "RELEASE op", "ROLLBACK TO op",
};

static int step_once(struct hive *h, const char *sql) {
        for (int i = 0; i < TX_MAX; i++) {
                if (strcmp(sql, tx_sql[i]) != 0)
                        continue;
                if (!h->tx[i]) {
                        int rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &h->tx[i], NULL);
                        if (rc != SQLITE_OK)
                                return rc;
                }
                int rc = sqlite3_step(h->tx[i]);
                sqlite3_reset(h->tx[i]);
                return rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        return sqlite3_exec(h->db, sql, NULL, NULL, NULL);
}

/*
 * Runs sql.  SQLITE_BUSY that reaches us despite the busy handler (SQLite skips the
 * handler where waiting could deadlock, e.g. taking the write lock on a WAL file whose
 * snapshot moved on) is retried here with backoff for up to a minute: starting or
 * committing a transaction never fails for contention alone.
 */
sqlite3_stmt *hive_path_value_stmt(struct hive *h, unsigned depth) {
        char sql[1024];
        int n;

        if (depth < 1 || depth > PATH_STMT_MAX)
                return NULL;
        if (!h->path_stmt[depth - 1]) {
                n = snprintf(sql, sizeof sql, "SELECT v.type, v.data FROM keys k1");
                for (unsigned i = 2; i <= depth; i++)
                        n += snprintf(sql + n, sizeof sql - (size_t)n,
                                      " JOIN keys k%u ON k%u.parent = k%u.id AND k%u.fold = ?%u",
                                      i, i, i - 1, i, i + 1);
                snprintf(sql + n, sizeof sql - (size_t)n,
                         " LEFT JOIN vals v ON v.key = k%u.id AND v.fold = ?%u"
                         " WHERE k1.parent = ?1 AND k1.fold = ?2", depth, depth + 2);
                if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                       &h->path_stmt[depth - 1], NULL) != SQLITE_OK) {
                        log_debug(registry, "prepare failed: %s", sqlite3_errmsg(h->db));
                        return NULL;
                }
        }
        sqlite3_reset(h->path_stmt[depth - 1]);
        sqlite3_clear_bindings(h->path_stmt[depth - 1]);
        return h->path_stmt[depth - 1];
}

#define BUSY_DEADLINE_NS (60 * 1000000000LL)

static int64_t monotonic_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int exec(struct hive *h, const char *sql) {
        int64_t deadline = 0;
        int rc;

        reset_all(h);
        for (unsigned attempt = 0;; attempt++) {
                rc = step_once(h, sql);
                if ((rc & 0xff) != SQLITE_BUSY)
                        break;
                if (!deadline)
                        deadline = monotonic_ns() + BUSY_DEADLINE_NS;
                else if (monotonic_ns() > deadline)
                        break;
                usleep(attempt < 20 ? 200 : 10000);
        }
        if (rc != SQLITE_OK)
                log_debug(registry, "%s: \"%.40s\": %s (%d)", h->path, sql, sqlite3_errmsg(h->db),
                          sqlite3_extended_errcode(h->db));
        return rc;
}

static void hive_free(struct hive *h) {
        if (!h)
                return;
        for (int i = 0; i < ST_MAX; i++)
                sqlite3_finalize(h->stmt[i]);
        for (int i = 0; i < TX_MAX; i++)
                sqlite3_finalize(h->tx[i]);
        for (int i = 0; i < PATH_STMT_MAX; i++)
                sqlite3_finalize(h->path_stmt[i]);
        sqlite3_finalize(h->data_version);
        sqlite3_close_v2(h->db);
        dcom_free(h->path);
        dcom_free(h);
}

/*
 * Finds a root (parent 0) or child key and, with create, inserts it if missing;
 * returns its id or -1.  Inside a tx.
 */
static int64_t find_key(struct hive *h, int64_t parent, const WCHAR *name, bool create) {
        size_t len = dcom_utf16_len(name), fsize;
        uint8_t fbuf[512], *fold;
        int64_t id = 0;
        sqlite3_stmt *st;

        if (hive_fold(name, len, fbuf, sizeof fbuf, &fold, &fsize) < 0)
                return -1;
        st = hive_stmt(h, parent ? ST_FIND_CHILD : ST_ROOT);
        if (!st)
                goto out;
        if (parent) {
                sqlite3_bind_int64(st, 1, parent);
                sqlite3_bind_blob(st, 2, fold, (int)fsize, SQLITE_STATIC);
        } else
                sqlite3_bind_blob(st, 1, fold, (int)fsize, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
                id = sqlite3_column_int64(st, 0);
                goto out;
        }
        if (!create)
                goto out;
        st = hive_stmt(h, ST_INSERT_KEY);
        if (!st)
                goto out;
        if (parent)
                sqlite3_bind_int64(st, 1, parent);
        sqlite3_bind_blob(st, 2, name, (int)(2 * len), SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, fold, (int)fsize, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, hive_now());
        sqlite3_bind_int(st, 6, 0);
        if (sqlite3_step(st) == SQLITE_DONE)
                id = sqlite3_last_insert_rowid(h->db);
out:
        if (st)
                sqlite3_reset(st);
        fold_free(fold, fbuf);
        return id > 0 ? id : -1;
}

/*
 * Looks up (with create: makes) the keys every handle starts from, and caches their
 * ids: they can never be deleted (api.c refuses), so the cache stays true.  Inside a
 * tx.  Returns 0 or -1.
 */
static int load_roots(struct hive *h, bool create) {
        const WCHAR *root = h->kind == HIVE_MACHINE ? u"HKEY_LOCAL_MACHINE" : u"HKEY_CURRENT_USER";

        h->root_id = find_key(h, 0, root, create);
        h->software_id = h->root_id > 0 ? find_key(h, h->root_id, u"Software", create) : -1;
        h->classes_id = h->software_id > 0 ? find_key(h, h->software_id, u"Classes", create) : -1;
        if (h->kind == HIVE_MACHINE) {
                h->users_id = find_key(h, 0, u"HKEY_USERS", create);
                if (h->users_id > 0 && find_key(h, h->users_id, u".DEFAULT", create) < 0)
                        return -1;
        }
        if (h->root_id < 0 || h->classes_id < 0 || (h->kind == HIVE_MACHINE && h->users_id < 0))
                return -1;
        return 0;
}

/* Brings the schema up to date and makes sure the roots exist. */
static int migrate(struct hive *h) {
        sqlite3_stmt *st;
        int version = -1, rc;

        rc = exec(h, "BEGIN IMMEDIATE");
        if (rc != SQLITE_OK)
                return rc;
        if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        version = sqlite3_column_int(st, 0);
                sqlite3_finalize(st);
        }
        if (version < 0 || version > HIVE_SCHEMA_VERSION) {
                log_debug(registry, "%s: schema version %d is not one this build knows (%d)",
                          h->path, version, HIVE_SCHEMA_VERSION);
                exec(h, "ROLLBACK");
                return SQLITE_NOTADB;
        }
        for (; version < HIVE_SCHEMA_VERSION; version++) {
                char pragma[48];
                rc = exec(h, migrations[version]);
                if (rc == SQLITE_OK) {
                        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
                        rc = exec(h, pragma);
                }
                if (rc != SQLITE_OK) {
                        exec(h, "ROLLBACK");
                        return rc;
                }
                log_debug(registry, "%s: schema migrated to version %d", h->path, version + 1);
        }

        /* The roots, and Software\Classes under HKLM and HKCU for HKEY_CLASSES_ROOT. */
        if (load_roots(h, true) < 0)
                goto fail;
        rc = exec(h, "COMMIT");
        if (rc != SQLITE_OK)
                exec(h, "ROLLBACK");
        return rc;
fail:
        rc = sqlite3_errcode(h->db);
        exec(h, "ROLLBACK");
        return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static LSTATUS hive_open(enum hive_kind kind, struct hive **ret) {
        struct hive *h;
        char *dir = NULL;
        struct stat st;
        int r, rc;

        h = dcom_calloc(1, sizeof *h);
        if (!h)
                return ERROR_OUTOFMEMORY;
        h->kind = kind;
        r = kind == HIVE_MACHINE ? paths_machine_state(&dir) : paths_user_state(&dir);
        if (r < 0) {
                dcom_free(h);
                return r == -ENOMEM ? ERROR_OUTOFMEMORY : ERROR_PATH_NOT_FOUND;
        }
        h->path = dcom_malloc(strlen(dir) + sizeof "/registry.db");
        if (!h->path) {
                dcom_free(dir);
                dcom_free(h);
                return ERROR_OUTOFMEMORY;
        }
        strcpy(h->path, dir);
        strcat(h->path, "/registry.db");

        /* Create the directory if we may; a reader without rights just finds no hive. */
        (void)paths_mkdir_p(dir, kind == HIVE_MACHINE ? 0755 : 0700);
        dcom_free(dir);

        rc = sqlite3_open_v2(h->path, &h->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                sqlite3_close_v2(h->db);
                h->db = NULL;
                if (stat(h->path, &st) < 0) {
                        /* Absent and not creatable here: an empty, read-only hive. */
                        log_debug(registry, "%s: no hive (%s)", h->path, sqlite3_errstr(rc));
                        h->readonly = true;
                        *ret = h;
                        return ERROR_SUCCESS;
                }
                rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
                h->readonly = true;
        }
        if (rc != SQLITE_OK)
                goto fail;

        sqlite3_extended_result_codes(h->db, 1);
        sqlite3_busy_handler(h->db, busy_handler, NULL);
        if (!h->readonly) {
                int persist = 1;
                /* Keep -wal/-shm after close so read-only openers (other users) can use WAL. */
                sqlite3_file_control(h->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
                rc = exec(h, "PRAGMA journal_mode = WAL");
                if (rc == SQLITE_OK)
                        rc = exec(h, "PRAGMA synchronous = FULL");
        }
        if (rc == SQLITE_OK)
                rc = exec(h, "PRAGMA foreign_keys = ON");
        if (rc == SQLITE_OK && !h->readonly)
                rc = migrate(h);
        if (rc == SQLITE_OK && h->readonly) {
                /* Someone else's hive: read the roots it has (an unmigrated file has none). */
                rc = exec(h, "BEGIN");
                if (rc == SQLITE_OK) {
                        if (load_roots(h, false) < 0)
                                h->root_id = h->users_id = h->classes_id = h->software_id = 0;
                        exec(h, "COMMIT");
                }
        }
        if (rc != SQLITE_OK) {
                /* A read-only writer's migration attempt fails: reading may still work. */
                if ((rc & 0xff) == SQLITE_READONLY) {
                        h->readonly = true;
                        rc = SQLITE_OK;
                } else
                        goto fail;
        }
        log_debug(registry, "opened %s%s", h->path, h->readonly ? " read-only" : "");
        *ret = h;
        return ERROR_SUCCESS;
fail:
        log_debug(registry, "%s: cannot open: %s", h->path,
                  h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
        {
                LSTATUS s = hive_status(h, rc);
                hive_free(h);
                return s == ERROR_SUCCESS ? ERROR_CANTOPEN : s;
        }
}

LSTATUS hive_get(enum hive_kind kind, struct hive **ret) {
        LSTATUS s;

        if (!hives[kind]) {
                s = hive_open(kind, &hives[kind]);
                if (s != ERROR_SUCCESS)
                        return s;
                atomic_fetch_add(&generation, 1);
        }
        *ret = hives[kind];
        return ERROR_SUCCESS;
}

uint64_t hive_generation(void) {
        return atomic_load(&generation);
}

bool hive_data_versions(int64_t dv[HIVE_MAX]) {
        pthread_once(&lock_once, lock_init);
        if (pthread_mutex_trylock(&lock) != 0)
                return false;
        for (int k = 0; k < HIVE_MAX; k++) {
                struct hive *h = hives[k];
                dv[k] = 0;
                if (!h || !h->db)
                        continue;
                if (!h->data_version &&
                    sqlite3_prepare_v3(h->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                                       &h->data_version, NULL) != SQLITE_OK) {
                        pthread_mutex_unlock(&lock);
                        return false;
                }
                sqlite3_reset(h->data_version);
                if (sqlite3_step(h->data_version) == SQLITE_ROW)
                        dv[k] = sqlite3_column_int64(h->data_version, 0);
                sqlite3_reset(h->data_version);
        }
        pthread_mutex_unlock(&lock);
        return true;
}

void hive_close_all(void) {
        hive_lock();
        atomic_fetch_add(&generation, 1);
        for (int i = 0; i < HIVE_MAX; i++) {
                hive_free(hives[i]);
                hives[i] = NULL;
        }
        hive_unlock();
}

bool hive_thread_tx(void) {
        return thread_tx;
}

bool hive_tx_elsewhere(void) {
        return atomic_load(&any_tx) && !thread_tx;
}

LSTATUS hive_op_begin(struct hive *h, bool write) {
        if (!h->db)
                return write ? ERROR_ACCESS_DENIED : ERROR_SUCCESS;
        if (write && h->readonly)
                return ERROR_ACCESS_DENIED;
        h->op_write = write;
        if (h->in_tx)
                return hive_status(h, exec(h, "SAVEPOINT op"));
        return hive_status(h, exec(h, write ? "BEGIN IMMEDIATE" : "BEGIN"));
}

LSTATUS hive_op_end(struct hive *h, LSTATUS st) {
        int rc;

        if (!h->db)
                return st;
        if (h->in_tx) {
                if (st != ERROR_SUCCESS)
                        exec(h, "ROLLBACK TO op");
                rc = exec(h, "RELEASE op");
        } else if (st == ERROR_SUCCESS) {
                rc = exec(h, "COMMIT");
                if (rc != SQLITE_OK)
                        exec(h, "ROLLBACK");
        } else {
                exec(h, "ROLLBACK");
                rc = SQLITE_OK;
        }
        /* after the outcome is visible: a cache validated against it reads it again */
        if (h->op_write)
                atomic_fetch_add(&generation, 1);
        h->op_write = false;
        return st != ERROR_SUCCESS ? st : hive_status(h, rc);
}

/* [MS-RRP] has no transactions; ours lock both hives for the thread's batch. */
LSTATUS dcom_reg_begin(void) {
        struct hive *h;
        LSTATUS s = ERROR_SUCCESS;

        hive_lock();
        if (thread_tx) {
                hive_unlock();
                return ERROR_INVALID_FUNCTION;          /* not nestable */
        }
        for (int k = 0; k < HIVE_MAX && s == ERROR_SUCCESS; k++) {
                s = hive_get((enum hive_kind)k, &h);
                if (s != ERROR_SUCCESS || !h->db || h->readonly)
                        continue;
                s = hive_status(h, exec(h, "BEGIN IMMEDIATE"));
                if (s == ERROR_SUCCESS)
                        h->in_tx = true;
        }
        if (s != ERROR_SUCCESS) {
                for (int k = 0; k < HIVE_MAX; k++)
                        if (hives[k] && hives[k]->in_tx) {
                                exec(hives[k], "ROLLBACK");
                                hives[k]->in_tx = false;
                        }
                hive_unlock();
                return s;
        }
        thread_tx = true;
        atomic_store(&any_tx, true);
        /* The lock stays held until commit or rollback. */
        return ERROR_SUCCESS;
}

/*
 * ROLLBACK also rolls back AUTOINCREMENT's high-water mark, so a key created and
 * rolled back would lend its id to the next key created -- and a handle opened inside
 * the transaction would silently name that other key.  Read the mark before rolling
 * back and restore it after, so ids are never reused.
 */
static int64_t key_sequence(struct hive *h) {
        sqlite3_stmt *st;
        int64_t seq = -1;

        if (sqlite3_prepare_v2(h->db, "SELECT seq FROM sqlite_sequence WHERE name = 'keys'", -1, &st,
                               NULL) != SQLITE_OK)
                return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
                seq = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return seq;
}

static void rollback_keeping_ids(struct hive *h) {
        int64_t seq = key_sequence(h);
        sqlite3_stmt *st;

        exec(h, "ROLLBACK");
        if (seq < 0 || exec(h, "BEGIN IMMEDIATE") != SQLITE_OK)
                return;
        if (sqlite3_prepare_v2(h->db, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'keys' AND seq < ?1",
                               -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, seq);
                sqlite3_step(st);
                sqlite3_finalize(st);
        }
        if (exec(h, "COMMIT") != SQLITE_OK)
                exec(h, "ROLLBACK");
}

static LSTATUS end_thread_tx(bool commit) {
        LSTATUS s = ERROR_SUCCESS;

        if (!thread_tx)
                return ERROR_INVALID_FUNCTION;
        for (int k = 0; k < HIVE_MAX; k++) {
                struct hive *h = hives[k];
                if (!h || !h->in_tx)
                        continue;
                h->in_tx = false;
                if (commit && s == ERROR_SUCCESS) {
                        /*
                         * Each hive commits atomically on its own; a crash between the two
                         * commits of a batch touching both HKLM and HKCU keeps the first.
                         */
                        int rc = exec(h, "COMMIT");
                        if (rc != SQLITE_OK) {
                                s = hive_status(h, rc);
                                rollback_keeping_ids(h);
                        }
                } else
                        rollback_keeping_ids(h);
        }
        thread_tx = false;
        atomic_store(&any_tx, false);
        atomic_fetch_add(&generation, 1);       /* committed or undone: either way, news */
        hive_unlock();
        return s;
}

LSTATUS dcom_reg_commit(void) {
        return end_thread_tx(true);
}

LSTATUS dcom_reg_rollback(void) {
        return end_thread_tx(false);
}
