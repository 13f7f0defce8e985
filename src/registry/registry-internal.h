/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry layer's private interface.  A hive is one SQLite database file holding
 * a tree of keys: the machine hive (HKEY_LOCAL_MACHINE and HKEY_USERS\.DEFAULT) and
 * one user hive per user (HKEY_CURRENT_USER).  hive.c owns the files, the schema and
 * transactions; api.c implements the Windows API on top; regfile.c reads and writes
 * .reg files through that API.
 */
#ifndef DCOM_REGISTRY_INTERNAL_H
#define DCOM_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include <dcom/winreg.h>
#include "base/base-internal.h"

enum hive_kind {
        HIVE_MACHINE,
        HIVE_USER,
        HIVE_MAX,
};

enum hive_stmt {
        ST_ROOT,
        ST_FIND_CHILD,
        ST_INSERT_KEY,
        ST_TOUCH,
        ST_KEY_INFO,
        ST_CHILD_STATS,
        ST_LIST_CHILDREN,
        ST_HAS_CHILDREN,
        ST_DELETE_KEY,
        ST_DELETE_CHILDREN,
        ST_GET_VALUE,
        ST_SET_VALUE,
        ST_DELETE_VALUE,
        ST_DELETE_VALUES,
        ST_LIST_VALUES,
        ST_VALUE_STATS,
        ST_MAX,
};

#define TX_MAX 7
#define PATH_STMT_MAX 8         /* one-statement lookups for paths up to this deep */

struct hive {
        enum hive_kind kind;
        sqlite3 *db;            /* NULL: the file does not exist and cannot be created */
        char *path;
        bool readonly;
        bool in_tx;             /* inside the thread transaction (dcom_reg_begin) */
        sqlite3_stmt *stmt[ST_MAX];
        sqlite3_stmt *tx[TX_MAX];       /* BEGIN, COMMIT, ... prepared once */
        sqlite3_stmt *path_stmt[PATH_STMT_MAX];  /* see hive_path_value_stmt */
        int64_t root_id;                /* HKEY_LOCAL_MACHINE or HKEY_CURRENT_USER */
        int64_t users_id;               /* HKEY_USERS (machine hive) */
        int64_t software_id;            /* <root>\Software */
        int64_t classes_id;             /* <root>\Software\Classes, for HKEY_CLASSES_ROOT */
        sqlite3_stmt *data_version;     /* PRAGMA data_version, for hive_data_versions */
        bool op_write;                  /* the current hive_op_begin was for writing */
};

/* The schema version this build writes; older files are migrated on open. */
#define HIVE_SCHEMA_VERSION 1

/* All hive access happens with this (recursive) lock held. */
void hive_lock(void);
void hive_unlock(void);

/*
 * The process's hive of a kind, opened (and created, migrated) on first use.
 * Returns ERROR_SUCCESS with *ret possibly having db == NULL (absent hive: nothing to
 * read, writes denied), or an error.  Lock held.
 */
LSTATUS hive_get(enum hive_kind kind, struct hive **ret);
/* A prepared statement, reset and unbound. */
sqlite3_stmt *hive_stmt(struct hive *h, enum hive_stmt s);
LSTATUS hive_status(struct hive *h, int sqlite_rc);
/*
 * A statement that walks `depth` (1..PATH_STMT_MAX) key names below a parent and
 * left-joins one value: bind ?1 parent id, ?2.. the folded names, then the folded
 * value name.  No row: the key is missing; a row with NULL type: the value is.
 */
sqlite3_stmt *hive_path_value_stmt(struct hive *h, unsigned depth);

/*
 * One API call's unit of work: outside a thread transaction a transaction of its own
 * (BEGIN IMMEDIATE when writing, so writers queue in the busy handler instead of
 * failing on upgrade); inside one, a savepoint, so a failed call leaves nothing.
 * hive_op_end commits when st == ERROR_SUCCESS, else rolls back; returns the status.
 */
LSTATUS hive_op_begin(struct hive *h, bool write);
LSTATUS hive_op_end(struct hive *h, LSTATUS st);

/* The thread transaction (dcom_reg_begin/commit/rollback), lock held throughout. */
bool hive_thread_tx(void);
/* Whether another thread is inside its transaction: a registry call now would wait for
   its end (a thread that the transaction's owner waits for must not make one). */
bool hive_tx_elsewhere(void);

/*
 * Upper-cased UTF-16BE form of a name: identity and sort order of keys and values.
 * Written into buf when it fits (key names always do in 512 bytes), else allocated;
 * release with fold_free(*ret, buf).
 */
int hive_fold(const WCHAR *name, size_t len, uint8_t *buf, size_t bufsize, uint8_t **ret,
              size_t *ret_size);

static inline void fold_free(uint8_t *fold, const uint8_t *buf) {
        if (fold != buf)
                dcom_free(fold);
}

/* Now as a FILETIME count (100 ns units since 1601). */
int64_t hive_now(void);

/*
 * For caches of registry data (COM's class cache).  hive_generation() changes after
 * every write through this process -- committed, rolled back, or inside a thread
 * transaction -- and whenever a hive is opened: equal generations, nothing this process
 * did changed the registry in between.  Lock-free, no system call.
 */
uint64_t hive_generation(void);
/*
 * Other processes' commits: each open hive's SQLite data_version (which moves when
 * another connection commits).  Takes the registry lock only if free (false: busy,
 * ask later) and SQLite's read lock (two fcntl calls per hive).
 */
bool hive_data_versions(int64_t dv[HIVE_MAX]);

/* For tests: closes every hive so the next use reopens (e.g. after OPENDCOM_ROOT changes). */
void hive_close_all(void);

#endif /* DCOM_REGISTRY_INTERNAL_H */
