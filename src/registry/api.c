/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Windows registry API over the hives.  A handle names a key by (hive, id); the
 * predefined roots resolve on each call.  HKEY_CLASSES_ROOT is a merged view: a
 * handle under it carries both the HKCU\Software\Classes key and the
 * HKLM\Software\Classes key of the same path (either may be missing).  Rules, after
 * Windows' "Merged View of HKEY_CLASSES_ROOT":
 *   - a key is visible if it exists on either side; its values are read from the user
 *     side when that key exists, else from the machine side (per key, not per value);
 *   - subkey enumeration is the union of both sides, user entries winning on equal names;
 *   - value writes go to the user side when that key exists, else the machine side;
 *   - new keys go to HKCU when their deepest existing ancestor under Classes is at
 *     least as deep on the user side (and below the Classes root), else to HKLM;
 *   - deletes act on the user-side key when it exists, else the machine-side one.
 * Enumeration takes a snapshot at index 0 (or the first call) and serves later indexes
 * from it, which makes RegEnumKeyExW loops O(n) instead of O(n^2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry-internal.h"

static LOG_CHANNEL(registry);

#define HKEY_MAGIC 0x52654b79u          /* "ReKy" */
#define ALL_ACCESS (KEY_ALL_ACCESS | KEY_WOW64_32KEY | KEY_WOW64_64KEY)

struct side {
        enum hive_kind hive;
        int64_t id;                     /* 0: absent on this side */
};

struct entry {
        WCHAR *name;
        size_t len;                     /* units */
        WCHAR *cls;
        size_t cls_len;
        int64_t mtime;
        DWORD type;                     /* values */
        uint8_t *data;
        size_t size;
};

struct snapshot {
        struct entry *e;
        size_t n;
        size_t cap;
};

struct HKEY__ {
        uint32_t magic;
        bool merged;
        bool predefined;                /* a root, rebuilt per call; its keys always exist */
        struct side side[2];            /* merged: [0] user, [1] machine; else [0] */
        unsigned depth;                 /* components below the root */
        REGSAM access;
        WCHAR *path;                    /* "HKEY_LOCAL_MACHINE\Software\..." as opened */
        size_t path_len;
        struct snapshot keys, values;
};

/*
 * Open keys live in a table, and an HKEY is (slot + 1) * 4, like a Windows handle: a
 * stale or made-up handle is reported as ERROR_INVALID_HANDLE instead of being
 * dereferenced.  Guarded by the hive lock.
 */
static struct HKEY__ **handles;
static size_t n_handles;

static HKEY handle_encode(size_t slot) {
        return (HKEY)(uintptr_t)((slot + 1) * 4);
}

static struct HKEY__ *handle_lookup(HKEY h) {
        uintptr_t v = (uintptr_t)h;

        if (v % 4 || v < 4 || v / 4 - 1 >= n_handles)
                return NULL;
        return handles[v / 4 - 1];
}

static LSTATUS handle_add(struct HKEY__ *k, HKEY *ret) {
        size_t slot;

        for (slot = 0; slot < n_handles && handles[slot]; slot++)
                ;
        if (slot == n_handles) {
                size_t n = n_handles ? 2 * n_handles : 16;
                struct HKEY__ **t;
                if (n > (1u << 28))
                        return ERROR_NO_SYSTEM_RESOURCES;
                t = dcom_reallocarray(handles, n, sizeof *t);
                if (!t)
                        return ERROR_OUTOFMEMORY;
                memset(t + n_handles, 0, (n - n_handles) * sizeof *t);
                handles = t;
                n_handles = n;
        }
        handles[slot] = k;
        *ret = handle_encode(slot);
        return ERROR_SUCCESS;
}

/* ---- small helpers ------------------------------------------------------------ */

static size_t wlen(const WCHAR *s) {
        return s ? dcom_utf16_len(s) : 0;
}

static void snapshot_clear(struct snapshot *s) {
        for (size_t i = 0; i < s->n; i++) {
                dcom_free(s->e[i].name);
                dcom_free(s->e[i].cls);
                dcom_free(s->e[i].data);
        }
        dcom_free(s->e);
        s->e = NULL;
        s->n = s->cap = 0;
}

static bool is_predefined(HKEY h) {
        return h == HKEY_CLASSES_ROOT || h == HKEY_CURRENT_USER || h == HKEY_LOCAL_MACHINE ||
               h == HKEY_USERS;
}

/* Units of the path, validated: components 1..255 units, no leading '\', depth cap. */
struct path {
        const WCHAR *s;
        size_t len;             /* without a trailing '\' */
        unsigned n;             /* components */
};

static LSTATUS parse_path(const WCHAR *s, unsigned base_depth, struct path *p) {
        size_t len = wlen(s), start = 0;

        p->s = s;
        p->n = 0;
        if (len > 0 && s[len - 1] == '\\')
                len--;                          /* one trailing separator is tolerated */
        p->len = len;
        if (len == 0)
                return ERROR_SUCCESS;
        if (s[0] == '\\')
                return ERROR_BAD_PATHNAME;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || s[i] == '\\') {
                        size_t c = i - start;
                        if (c == 0)
                                return ERROR_BAD_PATHNAME;
                        if (c > DCOM_REG_MAX_KEY_NAME)
                                return ERROR_INVALID_PARAMETER;
                        p->n++;
                        start = i + 1;
                }
        }
        if (base_depth + p->n > DCOM_REG_MAX_DEPTH)
                return ERROR_INVALID_PARAMETER;
        return ERROR_SUCCESS;
}

/* The next component of p at *pos; returns its length (0 at the end). */
static size_t next_comp(const struct path *p, size_t *pos, const WCHAR **ret) {
        size_t i = *pos, j;

        if (i >= p->len)
                return 0;
        for (j = i; j < p->len && p->s[j] != '\\'; j++)
                ;
        *ret = p->s + i;
        *pos = j + 1;
        return j - i;
}

/* ---- hive-level key operations (inside hive_op_begin/end) --------------------- */

static LSTATUS find_child(struct hive *h, int64_t parent, const WCHAR *name, size_t len,
                          int64_t *ret) {
        uint8_t fbuf[512], *fold;
        size_t fsize;
        sqlite3_stmt *st;
        LSTATUS s;
        int rc;

        if (hive_fold(name, len, fbuf, sizeof fbuf, &fold, &fsize) < 0)
                return ERROR_OUTOFMEMORY;
        st = hive_stmt(h, parent ? ST_FIND_CHILD : ST_ROOT);
        if (!st) {
                fold_free(fold, fbuf);
                return ERROR_OUTOFMEMORY;
        }
        if (parent) {
                sqlite3_bind_int64(st, 1, parent);
                sqlite3_bind_blob(st, 2, fold, (int)fsize, SQLITE_STATIC);
        } else
                sqlite3_bind_blob(st, 1, fold, (int)fsize, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                s = ERROR_SUCCESS;
        } else
                s = rc == SQLITE_DONE ? ERROR_FILE_NOT_FOUND : hive_status(h, rc);
        sqlite3_reset(st);
        fold_free(fold, fbuf);
        return s;
}

static LSTATUS touch(struct hive *h, int64_t id) {
        sqlite3_stmt *st = hive_stmt(h, ST_TOUCH);
        int rc;

        if (!st)
                return ERROR_OUTOFMEMORY;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, hive_now());
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? ERROR_SUCCESS : hive_status(h, rc);
}

static LSTATUS insert_key(struct hive *h, int64_t parent, const WCHAR *name, size_t len,
                          const WCHAR *cls, DWORD options, int64_t *ret) {
        uint8_t fbuf[512], *fold;
        size_t fsize;
        sqlite3_stmt *st;
        int rc;

        if (hive_fold(name, len, fbuf, sizeof fbuf, &fold, &fsize) < 0)
                return ERROR_OUTOFMEMORY;
        st = hive_stmt(h, ST_INSERT_KEY);
        if (!st) {
                fold_free(fold, fbuf);
                return ERROR_OUTOFMEMORY;
        }
        sqlite3_bind_int64(st, 1, parent);
        sqlite3_bind_blob(st, 2, name, (int)(2 * len), SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, fold, (int)fsize, SQLITE_STATIC);
        if (cls)
                sqlite3_bind_blob(st, 4, cls, (int)(2 * wlen(cls)), SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, hive_now());
        sqlite3_bind_int(st, 6, (int)options);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        fold_free(fold, fbuf);
        if (rc != SQLITE_DONE)
                return hive_status(h, rc);
        *ret = sqlite3_last_insert_rowid(h->db);
        return touch(h, parent);
}

/*
 * Walks p from key `from`.  Without create: the key's id or ERROR_FILE_NOT_FOUND, and
 * *ret_found the number of components that exist.  With create: missing keys are made
 * (the last one with class and options) and *ret_created tells if the last was new.
 */
static LSTATUS walk(struct hive *h, int64_t from, const struct path *p, bool create,
                    const WCHAR *cls, DWORD options, int64_t *ret, unsigned *ret_found,
                    bool *ret_created) {
        size_t pos = 0, len;
        const WCHAR *c;
        int64_t id = from;
        unsigned found = 0;
        bool created = false;
        LSTATUS s = ERROR_SUCCESS;

        while ((len = next_comp(p, &pos, &c)) > 0) {
                int64_t child;
                if (!created) {
                        s = find_child(h, id, c, len, &child);
                        if (s == ERROR_SUCCESS) {
                                id = child;
                                found++;
                                continue;
                        }
                        if (s != ERROR_FILE_NOT_FOUND || !create)
                                break;
                }
                s = insert_key(h, id, c, len, pos >= p->len ? cls : NULL,
                               pos >= p->len ? options : 0, &child);
                if (s != ERROR_SUCCESS)
                        break;
                id = child;
                created = true;
        }
        if (ret_found)
                *ret_found = found;
        if (ret_created)
                *ret_created = created;
        if (s == ERROR_SUCCESS)
                *ret = id;
        return s;
}

/* Whether the key still exists (a handle may outlive it). */
static LSTATUS key_exists(struct hive *h, int64_t id) {
        sqlite3_stmt *st = hive_stmt(h, ST_KEY_INFO);
        int rc;

        if (!st)
                return ERROR_OUTOFMEMORY;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                return ERROR_SUCCESS;
        return rc == SQLITE_DONE ? ERROR_KEY_DELETED : hive_status(h, rc);
}

/* key_exists for a handle's side; roots always exist. */
static LSTATUS base_exists(const struct HKEY__ *k, struct hive *h, unsigned i) {
        return k->predefined ? ERROR_SUCCESS : key_exists(h, k->side[i].id);
}

/* ---- handles ---------------------------------------------------------------- */

/* Fills *tmp for a predefined key and points *ret at it, or validates a real handle. */
static LSTATUS resolve(HKEY in, struct HKEY__ *tmp, struct HKEY__ **ret) {
        struct hive *m = NULL, *u = NULL;
        LSTATUS s;

        if (!in)
                return ERROR_INVALID_HANDLE;
        if (!is_predefined(in)) {
                struct HKEY__ *k = handle_lookup(in);
                if (!k || k->magic != HKEY_MAGIC)
                        return ERROR_INVALID_HANDLE;
                *ret = k;
                return ERROR_SUCCESS;
        }
        memset(tmp, 0, sizeof *tmp);
        tmp->magic = HKEY_MAGIC;
        tmp->access = ALL_ACCESS;
        /*
         * Open only the hives this root needs: a daemon with no home directory still
         * reads HKLM.  HKCR goes on without a user hive that cannot be opened.
         */
        s = in == HKEY_CURRENT_USER ? ERROR_SUCCESS : hive_get(HIVE_MACHINE, &m);
        if (s != ERROR_SUCCESS)
                return s;
        if (in == HKEY_CURRENT_USER || in == HKEY_CLASSES_ROOT) {
                LSTATUS su = hive_get(HIVE_USER, &u);
                if (su != ERROR_SUCCESS && in == HKEY_CURRENT_USER)
                        return su;
                if (su != ERROR_SUCCESS) {
                        log_debug(registry, "HKEY_CLASSES_ROOT without the user's hive (error %ld)",
                                  (long)su);
                        u = NULL;
                }
        }
        /* The roots' ids are cached by the hives and can never go stale. */
        tmp->predefined = true;
        if (in == HKEY_LOCAL_MACHINE) {
                tmp->path = (WCHAR *)u"HKEY_LOCAL_MACHINE";
                tmp->side[0] = (struct side){ HIVE_MACHINE, m->root_id };
        } else if (in == HKEY_USERS) {
                tmp->path = (WCHAR *)u"HKEY_USERS";
                tmp->side[0] = (struct side){ HIVE_MACHINE, m->users_id };
        } else if (in == HKEY_CURRENT_USER) {
                tmp->path = (WCHAR *)u"HKEY_CURRENT_USER";
                tmp->side[0] = (struct side){ HIVE_USER, u->root_id };
        } else {
                tmp->path = (WCHAR *)u"HKEY_CLASSES_ROOT";
                tmp->merged = true;
                tmp->side[0] = (struct side){ HIVE_USER, u ? u->classes_id : 0 };
                tmp->side[1] = (struct side){ HIVE_MACHINE, m->classes_id };
        }
        tmp->path_len = wlen(tmp->path);
        *ret = tmp;
        return ERROR_SUCCESS;
}

static unsigned n_sides(const struct HKEY__ *k) {
        return k->merged ? 2 : 1;
}

static LSTATUS new_handle(const struct HKEY__ *base, const struct path *p, const struct side *sides,
                          REGSAM access, HKEY *ret) {
        struct HKEY__ *k = dcom_calloc(1, sizeof *k);

        if (!k)
                return ERROR_OUTOFMEMORY;
        k->magic = HKEY_MAGIC;
        k->merged = base->merged;
        k->side[0] = sides[0];
        k->side[1] = sides[1];
        k->depth = base->depth + p->n;
        k->access = access & MAXIMUM_ALLOWED ? ALL_ACCESS : access;
        k->path_len = base->path_len + (p->len ? 1 + p->len : 0);
        k->path = dcom_malloc((k->path_len + 1) * sizeof(WCHAR));
        if (!k->path) {
                dcom_free(k);
                return ERROR_OUTOFMEMORY;
        }
        memcpy(k->path, base->path, base->path_len * sizeof(WCHAR));
        if (p->len) {
                k->path[base->path_len] = '\\';
                memcpy(k->path + base->path_len + 1, p->s, p->len * sizeof(WCHAR));
        }
        k->path[k->path_len] = 0;
        LSTATUS s = handle_add(k, ret);
        if (s != ERROR_SUCCESS) {
                dcom_free(k->path);
                dcom_free(k);
        }
        return s;
}

/*
 * Why a handle has no side to use: a root whose hive file cannot be opened (another
 * user's state directory, say) is there but not ours to write; anything else has
 * been deleted.
 */
static LSTATUS primary_missing(const struct HKEY__ *k) {
        return k->predefined ? ERROR_ACCESS_DENIED : ERROR_KEY_DELETED;
}

/* The side a key's values and deletes use: the user side of a merged key if present. */
static LSTATUS primary(struct HKEY__ *k, struct hive **ret_hive, int64_t *ret_id) {
        for (unsigned i = 0; i < n_sides(k); i++) {
                struct hive *h;
                LSTATUS s;
                if (!k->side[i].id)
                        continue;
                s = hive_get(k->side[i].hive, &h);
                if (s != ERROR_SUCCESS)
                        return s;
                *ret_hive = h;
                *ret_id = k->side[i].id;
                return ERROR_SUCCESS;
        }
        return primary_missing(k);
}

/* ---- open, create, close ---------------------------------------------------- */

/*
 * Looks p up below each side of base: sides[i].id is the key's id there or 0, found[i]
 * (may be NULL) how many of its components exist there, counting the base itself.
 * ERROR_FILE_NOT_FOUND when no side has the key.
 */
static LSTATUS find_sides(const struct HKEY__ *base, const struct path *p, struct side sides[2],
                          unsigned found[2]) {
        bool any = false;
        LSTATUS s = ERROR_SUCCESS;

        for (unsigned i = 0; s == ERROR_SUCCESS && i < n_sides(base); i++) {
                struct hive *h;
                unsigned n = 0;
                sides[i] = (struct side){ base->side[i].hive, 0 };
                if (!base->side[i].id)
                        continue;
                s = hive_get(base->side[i].hive, &h);
                if (s == ERROR_SUCCESS)
                        s = hive_op_begin(h, false);
                if (s != ERROR_SUCCESS)
                        break;
                s = base_exists(base, h, i);
                if (s == ERROR_SUCCESS) {
                        s = walk(h, base->side[i].id, p, false, NULL, 0, &sides[i].id, &n, NULL);
                        if (found)
                                found[i] = n + 1;
                }
                s = hive_op_end(h, s);
                if (s == ERROR_FILE_NOT_FOUND || (s == ERROR_KEY_DELETED && base->merged)) {
                        sides[i].id = 0;
                        s = ERROR_SUCCESS;
                        continue;
                }
                any |= s == ERROR_SUCCESS;
        }
        return s == ERROR_SUCCESS && !any ? ERROR_FILE_NOT_FOUND : s;
}

LSTATUS RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                      PHKEY phkResult) {
        struct HKEY__ tmp, *base;
        struct side sides[2];
        struct path p;
        LSTATUS s;

        if (!phkResult)
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        s = resolve(hKey, &tmp, &base);
        if (s == ERROR_SUCCESS)
                s = parse_path(lpSubKey, base->depth, &p);
        if (s == ERROR_SUCCESS)
                s = find_sides(base, &p, sides, NULL);
        if (s == ERROR_SUCCESS)
                s = new_handle(base, &p, sides, samDesired, phkResult);
        hive_unlock();
        return s;
}

LSTATUS RegCreateKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
                        DWORD dwOptions, REGSAM samDesired,
                        const SECURITY_ATTRIBUTES *lpSecurityAttributes, PHKEY phkResult,
                        LPDWORD lpdwDisposition) {
        struct HKEY__ tmp, *base;
        struct side sides[2] = { { 0 } };
        unsigned found[2] = { 0, 0 }, target = 0;
        struct path p;
        bool created = false;
        LSTATUS s;

        if (!phkResult || !lpSubKey)
                return ERROR_INVALID_PARAMETER;
        if (dwOptions & ~(REG_OPTION_VOLATILE | REG_OPTION_BACKUP_RESTORE))
                return ERROR_INVALID_PARAMETER;         /* links are not supported */
        hive_lock();
        s = resolve(hKey, &tmp, &base);
        if (s == ERROR_SUCCESS)
                s = parse_path(lpSubKey, base->depth, &p);

        /* What exists already, on each side. */
        if (s == ERROR_SUCCESS) {
                s = find_sides(base, &p, sides, found);
                if (s == ERROR_FILE_NOT_FOUND)
                        s = ERROR_SUCCESS;
        }
        if (s == ERROR_SUCCESS && !sides[0].id && !sides[1].id) {
                /* Create on one side: see the merged-view rules at the top. */
                struct hive *h;
                /*
                 * found[] counts from this handle, whose own depth below Classes is
                 * base->depth: the user side wins when its deepest existing ancestor is at
                 * least as deep and below the Classes root.  A side the handle lacks
                 * cannot take the key.
                 */
                if (base->merged)
                        target = found[0] >= found[1] && base->depth + found[0] > 1 ? 0 : 1;
                if (base->merged && !base->side[target].id)
                        target = 1 - target;
                if (!base->side[target].id)
                        s = primary_missing(base);
                else if (!(base->access & KEY_CREATE_SUB_KEY))
                        s = ERROR_ACCESS_DENIED;        /* only checked when creating */
                if (s == ERROR_SUCCESS)
                        s = hive_get(base->side[target].hive, &h);
                if (s == ERROR_SUCCESS) {
                        s = hive_op_begin(h, true);
                        if (s == ERROR_SUCCESS) {
                                s = base_exists(base, h, target);
                                if (s == ERROR_SUCCESS)
                                        s = walk(h, base->side[target].id, &p, true, lpClass,
                                                 dwOptions, &sides[target].id, NULL, &created);
                                s = hive_op_end(h, s);
                        }
                }
        }
        if (s == ERROR_SUCCESS)
                s = new_handle(base, &p, sides, samDesired, phkResult);
        if (s == ERROR_SUCCESS && lpdwDisposition)
                *lpdwDisposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
        if (created)
                log_debug(registry, "created a key in the %s hive (status %ld)",
                          base->side[target].hive == HIVE_MACHINE ? "machine" : "user", (long)s);
        hive_unlock();
        return s;
}

LSTATUS RegCloseKey(HKEY hKey) {
        struct HKEY__ *k;

        if (is_predefined(hKey))
                return ERROR_SUCCESS;
        hive_lock();
        k = handle_lookup(hKey);
        if (!k) {
                hive_unlock();
                return ERROR_INVALID_HANDLE;
        }
        handles[(uintptr_t)hKey / 4 - 1] = NULL;
        hive_unlock();
        k->magic = 0;
        snapshot_clear(&k->keys);
        snapshot_clear(&k->values);
        dcom_free(k->path);
        dcom_free(k);
        return ERROR_SUCCESS;
}

LSTATUS RegFlushKey(HKEY hKey) {
        /* Every call commits durably (synchronous=FULL): nothing is left to flush. */
        struct HKEY__ tmp, *k;
        LSTATUS s;

        hive_lock();
        s = resolve(hKey, &tmp, &k);
        hive_unlock();
        return s;
}

LSTATUS dcom_reg_key_path(HKEY hKey, LPWSTR *ret_path) {
        struct HKEY__ tmp, *k;
        LSTATUS s;

        if (!ret_path)
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        s = resolve(hKey, &tmp, &k);
        if (s == ERROR_SUCCESS) {
                WCHAR *p = dcom_memdup(k->path, (k->path_len + 1) * sizeof(WCHAR));
                if (p)
                        *ret_path = p;
                else
                        s = ERROR_OUTOFMEMORY;
        }
        hive_unlock();
        return s;
}

/* ---- values ----------------------------------------------------------------- */

/* Reads one value into malloc()ed memory. Inside an op. */
static LSTATUS get_value(struct hive *h, int64_t id, const WCHAR *name, DWORD *ret_type,
                         uint8_t **ret_data, size_t *ret_size) {
        size_t len = wlen(name), fsize;
        uint8_t fbuf[512], *fold;
        sqlite3_stmt *st;
        LSTATUS s;
        int rc;

        if (len > DCOM_REG_MAX_VALUE_NAME)
                return ERROR_INVALID_PARAMETER;
        if (hive_fold(name, len, fbuf, sizeof fbuf, &fold, &fsize) < 0)
                return ERROR_OUTOFMEMORY;
        st = hive_stmt(h, ST_GET_VALUE);
        if (!st) {
                fold_free(fold, fbuf);
                return ERROR_OUTOFMEMORY;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_blob(st, 2, fold, (int)fsize, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const void *d = sqlite3_column_blob(st, 1);
                size_t n = (size_t)sqlite3_column_bytes(st, 1);
                *ret_type = (DWORD)sqlite3_column_int64(st, 0);
                *ret_size = n;
                *ret_data = dcom_malloc(n ? n : 1);
                if (*ret_data) {
                        if (n)
                                memcpy(*ret_data, d, n);
                        s = ERROR_SUCCESS;
                } else
                        s = ERROR_OUTOFMEMORY;
        } else
                s = rc == SQLITE_DONE ? key_exists(h, id) : hive_status(h, rc);
        if (s == ERROR_SUCCESS && rc != SQLITE_ROW)
                s = ERROR_FILE_NOT_FOUND;
        sqlite3_reset(st);
        fold_free(fold, fbuf);
        return s;
}

/* A value of key k (primary side), with the access check. */
static LSTATUS read_value(HKEY hKey, const WCHAR *name, DWORD *ret_type, uint8_t **ret_data,
                          size_t *ret_size) {
        struct HKEY__ tmp, *k;
        struct hive *h;
        int64_t id;
        LSTATUS s;

        hive_lock();
        s = resolve(hKey, &tmp, &k);
        if (s == ERROR_SUCCESS && !(k->access & KEY_QUERY_VALUE))
                s = ERROR_ACCESS_DENIED;
        if (s == ERROR_SUCCESS)
                s = primary(k, &h, &id);
        if (s == ERROR_SUCCESS && !h->db)
                s = ERROR_FILE_NOT_FOUND;
        if (s == ERROR_SUCCESS) {
                s = hive_op_begin(h, false);
                if (s == ERROR_SUCCESS)
                        s = hive_op_end(h, get_value(h, id, name, ret_type, ret_data, ret_size));
        }
        hive_unlock();
        return s;
}

LSTATUS RegQueryValueExW(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType,
                         LPBYTE lpData, LPDWORD lpcbData) {
        uint8_t *data;
        size_t size;
        DWORD type;
        LSTATUS s;

        if (lpReserved || (lpData && !lpcbData))
                return ERROR_INVALID_PARAMETER;
        s = read_value(hKey, lpValueName, &type, &data, &size);
        if (s != ERROR_SUCCESS)
                return s;
        if (lpType)
                *lpType = type;
        if (lpData && *lpcbData < size)
                s = ERROR_MORE_DATA;
        else if (lpData && size)
                memcpy(lpData, data, size);
        if (lpcbData)
                *lpcbData = (DWORD)size;
        dcom_free(data);
        return s;
}

static DWORD rrf_bit(DWORD type) {
        switch (type) {
        case REG_NONE:
                return RRF_RT_REG_NONE;
        case REG_SZ:
                return RRF_RT_REG_SZ;
        case REG_EXPAND_SZ:
                return RRF_RT_REG_EXPAND_SZ;
        case REG_BINARY:
                return RRF_RT_REG_BINARY;
        case REG_DWORD:
                return RRF_RT_REG_DWORD;
        case REG_MULTI_SZ:
                return RRF_RT_REG_MULTI_SZ;
        case REG_QWORD:
                return RRF_RT_REG_QWORD;
        default:
                return 0;       /* only RRF_RT_ANY admits the rest */
        }
}

/*
 * ExpandEnvironmentStrings over UTF-16: %NAME% becomes the environment variable's
 * value; unknown names and a lone % stay as they are, as on Windows.
 */
static LSTATUS expand(const WCHAR *s, size_t len, WCHAR **ret, size_t *ret_len) {
        struct buf b;

        buf_init(&b, (size_t)DCOM_REG_MAX_VALUE_SIZE * 2);
        for (size_t i = 0; i < len; i++) {
                size_t j;
                if (s[i] == '%') {
                        for (j = i + 1; j < len && s[j] != '%'; j++)
                                ;
                        if (j < len && j > i + 1) {
                                char *name;
                                const char *val;
                                if (dcom_utf16_to_utf8(s + i + 1, j - i - 1, &name, NULL) == 0) {
                                        val = getenv(name);
                                        dcom_free(name);
                                        WCHAR *w;
                                        size_t wl;
                                        if (val && dcom_utf8_to_utf16(val, strlen(val), &w, &wl) == 0) {
                                                buf_append(&b, w, wl * sizeof(WCHAR));
                                                dcom_free(w);
                                                i = j;
                                                continue;
                                        }
                                }
                        }
                }
                buf_append(&b, &s[i], sizeof(WCHAR));
        }
        buf_append(&b, (const WCHAR[]){ 0 }, sizeof(WCHAR));
        if (b.error) {
                buf_free(&b);
                return ERROR_OUTOFMEMORY;
        }
        *ret_len = b.len / sizeof(WCHAR) - 1;
        *ret = (WCHAR *)buf_steal(&b, NULL);
        return ERROR_SUCCESS;
}

/*
 * lookup_value for a root and a short path: one SQL statement per side walks the path
 * and fetches the value (an implicit read transaction), about half the work of a walk
 * of single lookups.  Lock held.  ERROR_BUSY asks the caller to take the slow path.
 */
static LSTATUS lookup_value_fast(const struct HKEY__ *base, const struct path *p, const WCHAR *name,
                                 DWORD *ret_type, uint8_t **ret_data, size_t *ret_size) {
        uint8_t pbuf[2048], vbuf[512], *pfold, *vfold;
        size_t psize, vsize, nlen = wlen(name);
        LSTATUS s = ERROR_FILE_NOT_FOUND;

        if (nlen > DCOM_REG_MAX_VALUE_NAME)
                return ERROR_INVALID_PARAMETER;
        if (hive_fold(p->s, p->len, pbuf, sizeof pbuf, &pfold, &psize) < 0)
                return ERROR_OUTOFMEMORY;
        if (hive_fold(name, nlen, vbuf, sizeof vbuf, &vfold, &vsize) < 0) {
                fold_free(pfold, pbuf);
                return ERROR_OUTOFMEMORY;
        }
        for (unsigned i = 0; i < n_sides(base); i++) {
                struct hive *h;
                sqlite3_stmt *st;
                size_t pos = 0, len;
                const WCHAR *c;
                int param = 2, rc;

                if (!base->side[i].id)
                        continue;
                s = hive_get(base->side[i].hive, &h);
                if (s != ERROR_SUCCESS)
                        break;
                s = ERROR_FILE_NOT_FOUND;
                if (!h->db)
                        continue;
                st = hive_path_value_stmt(h, p->n);
                if (!st) {
                        s = ERROR_OUTOFMEMORY;
                        break;
                }
                sqlite3_bind_int64(st, 1, base->side[i].id);
                while ((len = next_comp(p, &pos, &c)) > 0)
                        sqlite3_bind_blob(st, param++, pfold + 2 * (size_t)(c - p->s), (int)(2 * len),
                                          SQLITE_STATIC);
                sqlite3_bind_blob(st, param, vfold, (int)vsize, SQLITE_STATIC);
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        /* This side has the key: it answers, value or not. */
                        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                                s = ERROR_FILE_NOT_FOUND;
                        else {
                                size_t n = (size_t)sqlite3_column_bytes(st, 1);
                                const void *d = sqlite3_column_blob(st, 1);
                                *ret_data = dcom_malloc(n ? n : 1);
                                if (*ret_data) {
                                        if (n)
                                                memcpy(*ret_data, d, n);
                                        *ret_type = (DWORD)sqlite3_column_int64(st, 0);
                                        *ret_size = n;
                                        s = ERROR_SUCCESS;
                                } else
                                        s = ERROR_OUTOFMEMORY;
                        }
                        sqlite3_reset(st);
                        break;
                }
                sqlite3_reset(st);
                if (rc != SQLITE_DONE) {
                        s = (rc & 0xff) == SQLITE_BUSY ? ERROR_BUSY : hive_status(h, rc);
                        break;
                }
        }
        fold_free(vfold, vbuf);
        fold_free(pfold, pbuf);
        return s;
}

/*
 * The value `name` of key `sub` under hKey, in one read transaction per side (the hot
 * path of COM activation: HKCR\CLSID\{clsid}\LocalServer32).  For a merged key
 * the user side answers when it has the key, whatever the value.
 */
static LSTATUS lookup_value(HKEY hKey, const WCHAR *sub, const WCHAR *name, DWORD *ret_type,
                            uint8_t **ret_data, size_t *ret_size) {
        struct HKEY__ tmp, *base;
        struct path p;
        LSTATUS s;

        hive_lock();
        s = resolve(hKey, &tmp, &base);
        if (s == ERROR_SUCCESS)
                s = parse_path(sub, base->depth, &p);
        if (s == ERROR_SUCCESS && p.n == 0 && !(base->access & KEY_QUERY_VALUE))
                s = ERROR_ACCESS_DENIED;
        if (s != ERROR_SUCCESS) {
                hive_unlock();
                return s;
        }
        if (base->predefined && p.n >= 1 && p.n <= PATH_STMT_MAX) {
                s = lookup_value_fast(base, &p, name, ret_type, ret_data, ret_size);
                if (s != ERROR_BUSY) {
                        hive_unlock();
                        return s;
                }
        }
        s = ERROR_FILE_NOT_FOUND;
        for (unsigned i = 0; i < n_sides(base); i++) {
                struct hive *h;
                int64_t id;
                LSTATUS r;
                if (!base->side[i].id)
                        continue;
                r = hive_get(base->side[i].hive, &h);
                if (r == ERROR_SUCCESS && !h->db)
                        continue;
                if (r == ERROR_SUCCESS)
                        r = hive_op_begin(h, false);
                if (r != ERROR_SUCCESS) {
                        s = r;
                        break;
                }
                r = base_exists(base, h, i);
                if (r == ERROR_SUCCESS)
                        r = walk(h, base->side[i].id, &p, false, NULL, 0, &id, NULL, NULL);
                if (r == ERROR_SUCCESS) {
                        s = hive_op_end(h, get_value(h, id, name, ret_type, ret_data, ret_size));
                        break;                  /* this side has the key: it answers */
                }
                hive_op_end(h, r);
                if (r != ERROR_FILE_NOT_FOUND && !(r == ERROR_KEY_DELETED && base->merged)) {
                        s = r;
                        break;
                }
        }
        hive_unlock();
        return s;
}

LSTATUS RegGetValueW(HKEY hkey, LPCWSTR lpSubKey, LPCWSTR lpValue, DWORD dwFlags,
                     LPDWORD pdwType, PVOID pvData, LPDWORD pcbData) {
        uint8_t *data = NULL;
        size_t size;
        DWORD type;
        LSTATUS s;

        if ((pvData && !pcbData) || !(dwFlags & RRF_RT_ANY))
                return ERROR_INVALID_PARAMETER;
        /* Asking for REG_EXPAND_SZ only makes sense unexpanded. */
        if ((dwFlags & RRF_RT_REG_EXPAND_SZ) && !(dwFlags & RRF_NOEXPAND) &&
            (dwFlags & RRF_RT_ANY) != RRF_RT_ANY)
                return ERROR_INVALID_PARAMETER;
        s = lookup_value(hkey, lpSubKey, lpValue, &type, &data, &size);
        if (s != ERROR_SUCCESS)
                goto fail;
        if (type == REG_EXPAND_SZ && !(dwFlags & RRF_NOEXPAND)) {
                WCHAR *x;
                size_t xl;
                size_t units = 0;
                while (units < size / 2 && ((const WCHAR *)data)[units])
                        units++;                /* up to the terminator, if stored */
                s = expand((const WCHAR *)data, units, &x, &xl);
                if (s != ERROR_SUCCESS)
                        goto fail;
                dcom_free(data);
                data = (uint8_t *)x;
                size = (xl + 1) * sizeof(WCHAR);
                type = REG_SZ;
        } else if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ) {
                /* Strings come back terminated (doubly for REG_MULTI_SZ) even if stored without. */
                size_t units = size / 2, need = 0;
                const WCHAR *w = (const WCHAR *)data;
                if (size % 2 || units == 0 || w[units - 1] != 0)
                        need = 1;
                if (type == REG_MULTI_SZ && (units + need < 2 || (need == 0 && w[units - 2] != 0) ||
                                             (need == 1 && units > 0 && w[units - 1] != 0)))
                        need++;
                if (need) {
                        uint8_t *d = dcom_realloc(data, (units + need) * 2);
                        if (!d) {
                                s = ERROR_OUTOFMEMORY;
                                goto fail;
                        }
                        data = d;
                        memset(data + units * 2, 0, need * 2);
                        size = (units + need) * 2;
                }
        }

        /* The type filter applies after expansion: an expanded REG_EXPAND_SZ is a REG_SZ. */
        if (!(rrf_bit(type) & dwFlags) && (dwFlags & RRF_RT_ANY) != RRF_RT_ANY) {
                s = ERROR_UNSUPPORTED_TYPE;
                goto fail;
        }
        /* RRF_RT_DWORD / RRF_RT_QWORD admit a REG_BINARY of exactly that size (Wine, ReactOS). */
        if (type == REG_BINARY && ((dwFlags & RRF_RT_ANY) == RRF_RT_DWORD ||
                                   (dwFlags & RRF_RT_ANY) == RRF_RT_QWORD) &&
            size != ((dwFlags & RRF_RT_ANY) == RRF_RT_DWORD ? 4u : 8u)) {
                s = ERROR_DATATYPE_MISMATCH;
                goto fail;
        }
        if (pdwType)
                *pdwType = type;
        if (pvData && *pcbData < size) {
                if (dwFlags & RRF_ZEROONFAILURE)
                        memset(pvData, 0, *pcbData);
                *pcbData = (DWORD)size;
                s = ERROR_MORE_DATA;
                goto out;
        }
        if (pvData && size)
                memcpy(pvData, data, size);
        if (pcbData)
                *pcbData = (DWORD)size;
        goto out;
fail:
        if (pvData && pcbData && (dwFlags & RRF_ZEROONFAILURE))
                memset(pvData, 0, *pcbData);
out:
        dcom_free(data);
        return s;
}

/*
 * Sets (del false) or deletes (del true) one value of the key's primary side, in one
 * write transaction, and drops the handle's value snapshot.
 */
static LSTATUS write_value(HKEY hKey, const WCHAR *name, bool del, DWORD type, const BYTE *data,
                           DWORD size) {
        struct HKEY__ tmp, *k;
        size_t len = wlen(name), fsize;
        uint8_t fbuf[512], *fold;
        sqlite3_stmt *st;
        struct hive *h;
        int64_t id;
        LSTATUS s;
        int rc;

        if (len > DCOM_REG_MAX_VALUE_NAME)
                return ERROR_INVALID_PARAMETER;
        if (hive_fold(name, len, fbuf, sizeof fbuf, &fold, &fsize) < 0)
                return ERROR_OUTOFMEMORY;
        hive_lock();
        s = resolve(hKey, &tmp, &k);
        if (s == ERROR_SUCCESS && !(k->access & KEY_SET_VALUE))
                s = ERROR_ACCESS_DENIED;
        if (s == ERROR_SUCCESS)
                s = primary(k, &h, &id);
        if (s == ERROR_SUCCESS)
                s = hive_op_begin(h, true);
        if (s != ERROR_SUCCESS)
                goto out;
        s = key_exists(h, id);
        st = s == ERROR_SUCCESS ? hive_stmt(h, del ? ST_DELETE_VALUE : ST_SET_VALUE) : NULL;
        if (s == ERROR_SUCCESS && !st)
                s = ERROR_OUTOFMEMORY;
        if (s == ERROR_SUCCESS) {
                sqlite3_bind_int64(st, 1, id);
                if (del)
                        sqlite3_bind_blob(st, 2, fold, (int)fsize, SQLITE_STATIC);
                else {
                        sqlite3_bind_blob(st, 2, name ? (const void *)name : "", (int)(2 * len),
                                          SQLITE_STATIC);
                        sqlite3_bind_blob(st, 3, fold, (int)fsize, SQLITE_STATIC);
                        sqlite3_bind_int64(st, 4, type);
                        sqlite3_bind_blob(st, 5, data ? (const void *)data : "", (int)size, SQLITE_STATIC);
                }
                rc = sqlite3_step(st);
                sqlite3_reset(st);
                if (rc != SQLITE_DONE)
                        s = hive_status(h, rc);
                else if (del && sqlite3_changes(h->db) == 0)
                        s = ERROR_FILE_NOT_FOUND;
                else
                        s = touch(h, id);
        }
        s = hive_op_end(h, s);
        if (s == ERROR_SUCCESS)
                snapshot_clear(&k->values);
out:
        hive_unlock();
        fold_free(fold, fbuf);
        return s;
}

LSTATUS RegSetValueExW(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                       const BYTE *lpData, DWORD cbData) {
        if (cbData > DCOM_REG_MAX_VALUE_SIZE || (!lpData && cbData))
                return ERROR_INVALID_PARAMETER;
        return write_value(hKey, lpValueName, false, dwType, lpData, cbData);
}

LSTATUS RegSetKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName, DWORD dwType,
                        LPCVOID lpData, DWORD cbData) {
        HKEY sub = NULL;
        LSTATUS s;

        if (lpSubKey && lpSubKey[0]) {
                s = RegCreateKeyExW(hKey, lpSubKey, 0, NULL, 0, KEY_SET_VALUE, NULL, &sub, NULL);
                if (s != ERROR_SUCCESS)
                        return s;
                hKey = sub;
        }
        s = RegSetValueExW(hKey, lpValueName, 0, dwType, lpData, cbData);
        if (sub)
                RegCloseKey(sub);
        return s;
}

LSTATUS RegDeleteValueW(HKEY hKey, LPCWSTR lpValueName) {
        return write_value(hKey, lpValueName, true, 0, NULL, 0);
}

/* A value of a subkey, deleted without opening the subkey first (Vista's advapi32). */
LSTATUS RegDeleteKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName) {
        HKEY sub = NULL;
        LSTATUS s;

        if (lpSubKey && lpSubKey[0]) {
                s = RegOpenKeyExW(hKey, lpSubKey, 0, KEY_SET_VALUE, &sub);
                if (s != ERROR_SUCCESS)
                        return s;
                hKey = sub;
        }
        s = RegDeleteValueW(hKey, lpValueName);
        if (sub)
                RegCloseKey(sub);
        return s;
}

/* ---- enumeration ------------------------------------------------------------ */

static int entry_cmp(const void *a, const void *b) {
        const struct entry *x = a, *y = b;
        return dcom_utf16_casecmp(x->name, x->len, y->name, y->len);
}

static WCHAR *blob_wdup(sqlite3_stmt *st, int col, size_t *ret_len) {
        size_t n = (size_t)sqlite3_column_bytes(st, col) / 2;
        const void *p = sqlite3_column_blob(st, col);
        WCHAR *w = dcom_malloc((n + 1) * sizeof(WCHAR));

        if (w) {
                if (n)
                        memcpy(w, p, n * sizeof(WCHAR));
                w[n] = 0;
                *ret_len = n;
        }
        return w;
}

/* Appends the children (or values) of (h, id) to the snapshot. Inside an op. */
static LSTATUS list(struct hive *h, int64_t id, bool values, struct snapshot *snap) {
        sqlite3_stmt *st = hive_stmt(h, values ? ST_LIST_VALUES : ST_LIST_CHILDREN);
        LSTATUS s = ERROR_SUCCESS;
        int rc;

        if (!st)
                return ERROR_OUTOFMEMORY;
        sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct entry *e;
                if (snap->n == snap->cap) {
                        /* Geometric growth: a key with 20,000 values must not cost n^2 copies. */
                        size_t cap = snap->cap ? 2 * snap->cap : 16;
                        e = dcom_reallocarray(snap->e, cap, sizeof *e);
                        if (!e) {
                                s = ERROR_OUTOFMEMORY;
                                break;
                        }
                        snap->e = e;
                        snap->cap = cap;
                }
                e = &snap->e[snap->n];
                memset(e, 0, sizeof *e);
                e->name = blob_wdup(st, 0, &e->len);
                if (!e->name) {
                        s = ERROR_OUTOFMEMORY;
                        break;
                }
                snap->n++;
                if (values) {
                        e->type = (DWORD)sqlite3_column_int64(st, 1);
                        e->size = (size_t)sqlite3_column_bytes(st, 2);
                        e->data = dcom_malloc(e->size ? e->size : 1);
                        if (!e->data) {
                                s = ERROR_OUTOFMEMORY;
                                break;
                        }
                        if (e->size)
                                memcpy(e->data, sqlite3_column_blob(st, 2), e->size);
                } else {
                        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
                                e->cls = blob_wdup(st, 1, &e->cls_len);
                                if (!e->cls) {
                                        s = ERROR_OUTOFMEMORY;
                                        break;
                                }
                        }
                        e->mtime = sqlite3_column_int64(st, 2);
                }
        }
        if (s == ERROR_SUCCESS && rc != SQLITE_DONE)
                s = hive_status(h, rc);
        sqlite3_reset(st);
        return s;
}

/*
 * Fills the handle's snapshot of subkeys or values.  Merged subkeys: both sides,
 * sorted case-insensitively, a user entry hiding the machine entry of the same name.
 */
static LSTATUS take_snapshot(struct HKEY__ *k, bool values) {
        struct snapshot *snap = values ? &k->values : &k->keys;
        struct snapshot all = { NULL, 0, 0 };
        LSTATUS s = ERROR_SUCCESS;
        size_t user_n = 0;
        bool any = false;

        snapshot_clear(snap);
        for (unsigned i = 0; i < n_sides(k) && s == ERROR_SUCCESS; i++) {
                struct hive *h;
                if (!k->side[i].id || (values && any))
                        continue;               /* values: the primary side only */
                s = hive_get(k->side[i].hive, &h);
                if (s != ERROR_SUCCESS || !h->db)
                        continue;
                s = hive_op_begin(h, false);
                if (s != ERROR_SUCCESS)
                        break;
                s = base_exists(k, h, i);
                if (s == ERROR_SUCCESS)
                        s = list(h, k->side[i].id, values, &all);
                s = hive_op_end(h, s);
                if (i == 0)
                        user_n = all.n;
                if (s == ERROR_KEY_DELETED && k->merged) {
                        s = ERROR_SUCCESS;
                        continue;
                }
                any |= s == ERROR_SUCCESS;
        }
        if (s == ERROR_SUCCESS && !any)
                s = ERROR_KEY_DELETED;
        if (s != ERROR_SUCCESS) {
                snapshot_clear(&all);
                return s;
        }
        if (!values && k->merged && user_n > 0 && user_n < all.n) {
                /*
                 * Each side came sorted (ORDER BY fold is dcom_utf16_casecmp order), so one
                 * linear merge does it; on equal names the user entry wins.
                 */
                struct entry *m = dcom_reallocarray(NULL, all.n, sizeof *m);
                size_t a = 0, b = user_n, w = 0;
                if (!m) {
                        snapshot_clear(&all);
                        return ERROR_OUTOFMEMORY;
                }
                while (a < user_n || b < all.n) {
                        int c = a == user_n ? 1 : b == all.n ? -1 : entry_cmp(&all.e[a], &all.e[b]);
                        if (c == 0) {
                                dcom_free(all.e[b].name);
                                dcom_free(all.e[b].cls);
                                b++;
                                continue;
                        }
                        m[w++] = c < 0 ? all.e[a++] : all.e[b++];
                }
                dcom_free(all.e);
                all.e = m;
                all.n = w;
                all.cap = all.n;
        }
        *snap = all;
        return ERROR_SUCCESS;
}

/* Copies name into a caller buffer of *cch characters (with NUL), Windows-style. */
static LSTATUS copy_name(const WCHAR *name, size_t len, LPWSTR out, LPDWORD cch) {
        if (!out || !cch)
                return ERROR_INVALID_PARAMETER;
        if (*cch < len + 1)
                return ERROR_MORE_DATA;
        memcpy(out, name, len * sizeof(WCHAR));
        out[len] = 0;
        *cch = (DWORD)len;
        return ERROR_SUCCESS;
}

static void to_filetime(int64_t t, PFILETIME ft) {
        ft->dwLowDateTime = (DWORD)t;
        ft->dwHighDateTime = (DWORD)((uint64_t)t >> 32);
}

static LSTATUS enum_prepare(HKEY hKey, DWORD index, bool values, REGSAM need,
                            struct HKEY__ *tmp, struct HKEY__ **ret) {
        struct HKEY__ *k;
        LSTATUS s = resolve(hKey, tmp, &k);

        if (s != ERROR_SUCCESS)
                return s;
        if (!(k->access & need))
                return ERROR_ACCESS_DENIED;
        /* Predefined handles are rebuilt per call: no snapshot survives, take one. */
        if (index == 0 || k == tmp || (values ? !k->values.e : !k->keys.e))
                s = take_snapshot(k, values);
        *ret = k;
        return s;
}

LSTATUS RegEnumKeyExW(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName,
                      LPDWORD lpReserved, LPWSTR lpClass, LPDWORD lpcchClass,
                      PFILETIME lpftLastWriteTime) {
        struct HKEY__ tmp, *k = NULL;
        LSTATUS s;

        if (lpReserved || !lpName || !lpcchName)
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        s = enum_prepare(hKey, dwIndex, false, KEY_ENUMERATE_SUB_KEYS, &tmp, &k);
        if (s == ERROR_SUCCESS) {
                if (dwIndex >= k->keys.n)
                        s = ERROR_NO_MORE_ITEMS;
                else {
                        const struct entry *e = &k->keys.e[dwIndex];
                        s = copy_name(e->name, e->len, lpName, lpcchName);
                        if (s == ERROR_SUCCESS && lpClass)
                                s = copy_name(e->cls ? e->cls : u"", e->cls_len, lpClass, lpcchClass);
                        if (s == ERROR_SUCCESS && lpftLastWriteTime)
                                to_filetime(e->mtime, lpftLastWriteTime);
                }
        }
        if (k == &tmp)
                snapshot_clear(&tmp.keys);
        hive_unlock();
        return s;
}

LSTATUS RegEnumValueW(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName, LPDWORD lpcchValueName,
                      LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData) {
        struct HKEY__ tmp, *k = NULL;
        LSTATUS s;

        if (lpReserved || !lpValueName || !lpcchValueName || (lpData && !lpcbData))
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        s = enum_prepare(hKey, dwIndex, true, KEY_QUERY_VALUE, &tmp, &k);
        if (s == ERROR_SUCCESS) {
                if (dwIndex >= k->values.n)
                        s = ERROR_NO_MORE_ITEMS;
                else {
                        const struct entry *e = &k->values.e[dwIndex];
                        s = copy_name(e->name, e->len, lpValueName, lpcchValueName);
                        if (s == ERROR_SUCCESS) {
                                if (lpType)
                                        *lpType = e->type;
                                if (lpData && *lpcbData < e->size)
                                        s = ERROR_MORE_DATA;
                                else if (lpData && e->size)
                                        memcpy(lpData, e->data, e->size);
                                if (lpcbData)
                                        *lpcbData = (DWORD)e->size;
                        }
                }
        }
        if (k == &tmp)
                snapshot_clear(&tmp.values);
        hive_unlock();
        return s;
}

LSTATUS RegQueryInfoKeyW(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass, LPDWORD lpReserved,
                         LPDWORD lpcSubKeys, LPDWORD lpcbMaxSubKeyLen, LPDWORD lpcbMaxClassLen,
                         LPDWORD lpcValues, LPDWORD lpcbMaxValueNameLen, LPDWORD lpcbMaxValueLen,
                         LPDWORD lpcbSecurityDescriptor, PFILETIME lpftLastWriteTime) {
        struct HKEY__ tmp, *k;
        struct snapshot keys = { NULL, 0, 0 }, vals = { NULL, 0, 0 };
        struct hive *h;
        int64_t id, mtime = 0;
        WCHAR *cls = NULL;
        size_t cls_len = 0, max_key = 0, max_cls = 0, max_vname = 0, max_vdata = 0;
        LSTATUS s;

        if (lpReserved || (lpClass && !lpcchClass))
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        s = resolve(hKey, &tmp, &k);
        if (s == ERROR_SUCCESS && !(k->access & KEY_QUERY_VALUE))
                s = ERROR_ACCESS_DENIED;
        if (s == ERROR_SUCCESS)
                s = take_snapshot(k, false);
        if (s == ERROR_SUCCESS) {
                keys = k->keys;
                k->keys = (struct snapshot){ NULL, 0, 0 };
                s = take_snapshot(k, true);
        }
        if (s == ERROR_SUCCESS) {
                vals = k->values;
                k->values = (struct snapshot){ NULL, 0, 0 };
                s = primary(k, &h, &id);
        }
        if (s == ERROR_SUCCESS && h->db) {
                s = hive_op_begin(h, false);
                if (s == ERROR_SUCCESS) {
                        sqlite3_stmt *st = hive_stmt(h, ST_KEY_INFO);
                        if (!st)
                                s = ERROR_OUTOFMEMORY;
                        else {
                                sqlite3_bind_int64(st, 1, id);
                                if (sqlite3_step(st) == SQLITE_ROW) {
                                        mtime = sqlite3_column_int64(st, 3);
                                        if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
                                            !(cls = blob_wdup(st, 2, &cls_len)))
                                                s = ERROR_OUTOFMEMORY;
                                } else
                                        s = ERROR_KEY_DELETED;
                                sqlite3_reset(st);
                        }
                        s = hive_op_end(h, s);
                }
        }
        if (s == ERROR_SUCCESS && lpClass)
                s = copy_name(cls ? cls : u"", cls_len, lpClass, lpcchClass);
        else if (s == ERROR_SUCCESS && lpcchClass)
                *lpcchClass = (DWORD)cls_len;
        if (s == ERROR_SUCCESS) {
                for (size_t i = 0; i < keys.n; i++) {
                        if (keys.e[i].len > max_key)
                                max_key = keys.e[i].len;
                        if (keys.e[i].cls_len > max_cls)
                                max_cls = keys.e[i].cls_len;
                }
                for (size_t i = 0; i < vals.n; i++) {
                        if (vals.e[i].len > max_vname)
                                max_vname = vals.e[i].len;
                        if (vals.e[i].size > max_vdata)
                                max_vdata = vals.e[i].size;
                }
                /* The "cb" counts below are in characters, without the NUL, as Windows returns. */
                if (lpcSubKeys)
                        *lpcSubKeys = (DWORD)keys.n;
                if (lpcbMaxSubKeyLen)
                        *lpcbMaxSubKeyLen = (DWORD)max_key;
                if (lpcbMaxClassLen)
                        *lpcbMaxClassLen = (DWORD)max_cls;
                if (lpcValues)
                        *lpcValues = (DWORD)vals.n;
                if (lpcbMaxValueNameLen)
                        *lpcbMaxValueNameLen = (DWORD)max_vname;
                if (lpcbMaxValueLen)
                        *lpcbMaxValueLen = (DWORD)max_vdata;
                if (lpcbSecurityDescriptor)
                        *lpcbSecurityDescriptor = 0;
                if (lpftLastWriteTime)
                        to_filetime(mtime, lpftLastWriteTime);
        }
        snapshot_clear(&keys);
        snapshot_clear(&vals);
        dcom_free(cls);
        hive_unlock();
        return s;
}

/* ---- deletion --------------------------------------------------------------- */

/*
 * Deletes key (h, id): only if it has no subkeys unless `tree`.  With `contents_only`,
 * the key stays and loses its subkeys and values (RegDeleteTreeW with no subkey).
 */
static LSTATUS delete_key(struct hive *h, int64_t id, bool tree, bool contents_only) {
        sqlite3_stmt *st;
        LSTATUS s;
        int rc;

        s = hive_op_begin(h, true);
        if (s != ERROR_SUCCESS)
                return s;
        s = key_exists(h, id);
        /*
         * The roots, Software and Software\Classes stay: handles start from them (their
         * ids are cached) and Windows refuses to delete them too.
         */
        if (s == ERROR_SUCCESS && (id == h->root_id || id == h->users_id || id == h->software_id ||
                                   (id == h->classes_id && !contents_only)))
                s = ERROR_ACCESS_DENIED;
        if (s == ERROR_SUCCESS && !tree) {
                st = hive_stmt(h, ST_HAS_CHILDREN);
                if (!st)
                        s = ERROR_OUTOFMEMORY;
                else {
                        sqlite3_bind_int64(st, 1, id);
                        rc = sqlite3_step(st);
                        sqlite3_reset(st);
                        if (rc == SQLITE_ROW)
                                s = ERROR_ACCESS_DENIED;        /* Windows: subkeys present */
                        else if (rc != SQLITE_DONE)
                                s = hive_status(h, rc);
                }
        }
        if (s == ERROR_SUCCESS) {
                int64_t parent = 0;
                st = hive_stmt(h, ST_KEY_INFO);
                if (st) {
                        sqlite3_bind_int64(st, 1, id);
                        if (sqlite3_step(st) == SQLITE_ROW)
                                parent = sqlite3_column_int64(st, 0);
                        sqlite3_reset(st);
                }
                if (contents_only) {
                        st = hive_stmt(h, ST_DELETE_CHILDREN);
                        rc = st ? (sqlite3_bind_int64(st, 1, id), sqlite3_step(st)) : SQLITE_NOMEM;
                        if (st)
                                sqlite3_reset(st);
                        if (rc == SQLITE_DONE) {
                                st = hive_stmt(h, ST_DELETE_VALUES);
                                rc = st ? (sqlite3_bind_int64(st, 1, id), sqlite3_step(st)) : SQLITE_NOMEM;
                                if (st)
                                        sqlite3_reset(st);
                        }
                        s = rc == SQLITE_DONE ? touch(h, id) : hive_status(h, rc);
                } else if (!parent) {
                        s = ERROR_ACCESS_DENIED;                /* a root */
                } else {
                        /* ON DELETE CASCADE removes subkeys and values. */
                        st = hive_stmt(h, ST_DELETE_KEY);
                        rc = st ? (sqlite3_bind_int64(st, 1, id), sqlite3_step(st)) : SQLITE_NOMEM;
                        if (st)
                                sqlite3_reset(st);
                        s = rc == SQLITE_DONE ? touch(h, parent) : hive_status(h, rc);
                }
        }
        return hive_op_end(h, s);
}

static LSTATUS delete_common(HKEY hKey, LPCWSTR lpSubKey, bool tree) {
        HKEY sub = NULL;
        struct HKEY__ tmp, *k;
        struct hive *h;
        int64_t id;
        bool whole = lpSubKey && lpSubKey[0];
        LSTATUS s;

        if (!tree && !lpSubKey)
                return ERROR_INVALID_PARAMETER;
        hive_lock();
        if (whole) {
                s = RegOpenKeyExW(hKey, lpSubKey, 0, KEY_ALL_ACCESS, &sub);
                hKey = sub;
        } else
                s = ERROR_SUCCESS;
        if (s == ERROR_SUCCESS)
                s = resolve(hKey, &tmp, &k);
        if (s == ERROR_SUCCESS && !whole && is_predefined(hKey) && !tree)
                s = ERROR_ACCESS_DENIED;                /* cannot delete a root */
        if (s == ERROR_SUCCESS)
                s = primary(k, &h, &id);
        if (s == ERROR_SUCCESS)
                /* RegDeleteKeyW(h, "") deletes h itself; RegDeleteTreeW(h, NULL) empties it. */
                s = delete_key(h, id, tree, tree && !whole);
        if (sub)
                RegCloseKey(sub);
        hive_unlock();
        return s;
}

LSTATUS RegDeleteKeyW(HKEY hKey, LPCWSTR lpSubKey) {
        return delete_common(hKey, lpSubKey, false);
}

LSTATUS RegDeleteKeyExW(HKEY hKey, LPCWSTR lpSubKey, REGSAM samDesired, DWORD Reserved) {
        /* One 64-bit view: the WOW64 flags select nothing here. */
        return delete_common(hKey, lpSubKey, false);
}

LSTATUS RegDeleteTreeW(HKEY hKey, LPCWSTR lpSubKey) {
        return delete_common(hKey, lpSubKey, true);
}
