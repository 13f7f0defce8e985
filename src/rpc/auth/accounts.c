/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local NTLM account store (accounts.h).  The file, one record a line, each line
 * ending in LF:
 *
 *   opendcom-ntlm-accounts:1:S-1-5-21-A-B-C:NEXT      header: magic, format version,
 *                                                     machine SID, next RID to hand out
 *   NAME:RID:NTHASH:FLAGS                             one per account, in order of addition
 *
 * NAME is 1..ACCOUNT_NAME_MAX bytes of UTF-8 without ':' or control characters; RID and
 * NEXT are decimal without leading zeros, ACCOUNT_RID_FIRST <= RID < NEXT (so a RID is
 * never handed out twice while the file lives, deleted accounts included); NTHASH is 32
 * hex digits; FLAGS is empty or "D" (disabled).  Anything else -- a missing or extra
 * field, a stray byte, an unterminated last line, two names equal case-insensitively,
 * two equal RIDs -- makes the whole file -EBADMSG.  The reader works on (pointer,
 * length) spans of one buffer read whole and bounded by ACCOUNTS_FILE_MAX; every field
 * is measured before it is copied.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>


#include "base/base-internal.h"
#include "base/paths.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/ntlm.h"

static LOG_CHANNEL(auth);

#define ACCOUNTS_DIR "private"
#define ACCOUNTS_FILE "ntlm-accounts"
#define ACCOUNTS_MAGIC "opendcom-ntlm-accounts"
#define ACCOUNTS_VERSION "1"
/* 16 MiB: some 55,000 accounts of the longest names; a bigger file is not ours. */
#define ACCOUNTS_FILE_MAX (16u << 20)
/* The longest account line: name, three colons, RID, hash, flag, LF. */
#define ACCOUNTS_LINE_MAX (ACCOUNT_NAME_MAX + 3 + 10 + 32 + 1 + 1)

struct entry {
        struct account a;
        char *fold;             /* the name upper-cased (UTF-8), the key names compare by */
};

struct db {
        uint32_t sid[3];        /* the machine SID's sub-authorities after S-1-5-21 */
        uint32_t next_rid;
        struct entry *v;
        size_t n, cap;
};

static void db_done(struct db *db) {
        for (size_t i = 0; i < db->n; i++)
                dcom_free(db->v[i].fold);
        if (db->v)
                explicit_bzero(db->v, db->cap * sizeof *db->v);
        dcom_free(db->v);
        *db = (struct db){ 0 };
}

/* ---- Names ---------------------------------------------------------------------------- */

/*
 * Checks a name of len bytes (s need not be terminated) and returns its case-folded
 * form in *ret_fold: each UTF-16 unit upper-cased by dcom_utf16_toupper, back to UTF-8.
 * -EINVAL for a name accounts.h refuses, -ENOMEM.
 */
static int name_fold(const char *s, size_t len, char **ret_fold) {
        WCHAR *w = NULL;
        size_t n;
        int r;

        if (len == 0 || len > ACCOUNT_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20 || c == 0x7f || c == ':')
                        return -EINVAL;
        }
        r = dcom_utf8_to_utf16(s, len, &w, &n);
        if (r == -EILSEQ)
                return -EINVAL;
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (w[i] >= 0x80 && w[i] <= 0x9f) {     /* C1 controls */
                        dcom_free(w);
                        return -EINVAL;
                }
                w[i] = dcom_utf16_toupper(w[i]);
        }
        r = dcom_utf16_to_utf8(w, n, ret_fold, NULL);
        dcom_free(w);
        return r;
}

static struct entry *db_find(struct db *db, const char *fold) {
        for (size_t i = 0; i < db->n; i++)
                if (strcmp(db->v[i].fold, fold) == 0)
                        return &db->v[i];
        return NULL;
}

/* Appends an entry taking over fold (freed on failure). */
static int db_append(struct db *db, const struct account *a, char *fold) {
        if (db->n == db->cap) {
                size_t cap = db->cap ? db->cap * 2 : 16;
                struct entry *v = dcom_reallocarray(db->v, cap, sizeof *v);
                if (!v) {
                        dcom_free(fold);
                        return -ENOMEM;
                }
                db->v = v;
                db->cap = cap;
        }
        db->v[db->n].a = *a;
        db->v[db->n].fold = fold;
        db->n++;
        return 0;
}

/* ---- Reading ---------------------------------------------------------------------------- */

/* A decimal uint32 of exactly len bytes, no sign, no leading zero. */
static bool parse_u32(const char *s, size_t len, uint32_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return false;
        *ret = (uint32_t)v;
        return true;
}

/* Splits [s, s + len) at ':' into exactly n fields; false for any other count. */
struct span {
        const char *p;
        size_t len;
};

static bool split(const char *s, size_t len, struct span *f, size_t n) {
        size_t k = 0, start = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != ':')
                        continue;
                if (k == n)
                        return false;
                f[k].p = s + start;
                f[k].len = i - start;
                k++;
                start = i + 1;
        }
        return k == n;
}

static bool span_is(const struct span *f, const char *lit) {
        size_t n = strlen(lit);
        return f->len == n && memcmp(f->p, lit, n) == 0;
}

/* "S-1-5-21-A-B-C" into its three sub-authorities. */
static bool parse_sid(const struct span *f, uint32_t sid[3]) {
        static const char prefix[] = "S-1-5-21-";
        const char *p = f->p, *end = f->p + f->len;

        if (f->len < sizeof prefix - 1 || memcmp(p, prefix, sizeof prefix - 1) != 0)
                return false;
        p += sizeof prefix - 1;
        for (int i = 0; i < 3; i++) {
                const char *q = p;
                while (q < end && *q != '-')
                        q++;
                if ((i < 2) != (q < end))       /* a '-' after the first two, none after the last */
                        return false;
                if (!parse_u32(p, (size_t)(q - p), &sid[i]))
                        return false;
                p = q + 1;
        }
        return true;
}

static bool parse_hash(const struct span *f, uint8_t h[16]) {
        if (f->len != 32)
                return false;
        for (size_t i = 0; i < 16; i++) {
                int hi = hex_digit((unsigned char)f->p[2 * i]);
                int lo = hex_digit((unsigned char)f->p[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return false;
                h[i] = (uint8_t)(hi << 4 | lo);
        }
        return true;
}

static int cmp_fold(const void *a, const void *b) {
        const struct entry *x = *(const struct entry *const *)a;
        const struct entry *y = *(const struct entry *const *)b;
        return strcmp(x->fold, y->fold);
}

static int cmp_rid(const void *a, const void *b) {
        const struct entry *x = *(const struct entry *const *)a;
        const struct entry *y = *(const struct entry *const *)b;
        return x->a.rid < y->a.rid ? -1 : x->a.rid > y->a.rid;
}

/* No two names equal case-insensitively, no two equal RIDs: sorted, then neighbours. */
static int check_unique(const char *path, struct db *db) {
        struct entry **idx;
        int r = 0;

        if (db->n < 2)
                return 0;
        idx = dcom_reallocarray(NULL, db->n, sizeof *idx);
        if (!idx)
                return -ENOMEM;
        for (size_t i = 0; i < db->n; i++)
                idx[i] = &db->v[i];
        qsort(idx, db->n, sizeof *idx, cmp_fold);
        for (size_t i = 1; i < db->n && r == 0; i++)
                if (strcmp(idx[i - 1]->fold, idx[i]->fold) == 0) {
                        log_debug(auth, "%s: the name of RID %u is also RID %u's", path,
                                  (unsigned)idx[i]->a.rid, (unsigned)idx[i - 1]->a.rid);
                        r = -EBADMSG;
                }
        qsort(idx, db->n, sizeof *idx, cmp_rid);
        for (size_t i = 1; i < db->n && r == 0; i++)
                if (idx[i - 1]->a.rid == idx[i]->a.rid) {
                        log_debug(auth, "%s: RID %u is used twice", path, (unsigned)idx[i]->a.rid);
                        r = -EBADMSG;
                }
        dcom_free(idx);
        return r;
}

/* One account line (without its LF) into db. */
static int parse_account(const char *s, size_t len, struct db *db, const char **ret_why) {
        struct span f[4];
        struct account a = { 0 };
        char *fold = NULL;
        int r;

        if (!split(s, len, f, 4)) {
                *ret_why = "not NAME:RID:NTHASH:FLAGS";
                return -EBADMSG;
        }
        if (f[0].len == 0 || f[0].len > ACCOUNT_NAME_MAX) {
                *ret_why = "bad name length";
                return -EBADMSG;
        }
        memcpy(a.name, f[0].p, f[0].len);
        a.name[f[0].len] = 0;
        r = name_fold(a.name, f[0].len, &fold);
        if (r == -EINVAL) {
                *ret_why = "invalid name";
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        if (!parse_u32(f[1].p, f[1].len, &a.rid) || a.rid < ACCOUNT_RID_FIRST ||
            a.rid >= db->next_rid) {
                *ret_why = "bad RID";
                r = -EBADMSG;
        } else if (!parse_hash(&f[2], a.nt_hash)) {
                *ret_why = "bad NT hash";
                r = -EBADMSG;
        } else if (span_is(&f[3], "D"))
                a.disabled = true;
        else if (f[3].len != 0) {
                *ret_why = "unknown flags";
                r = -EBADMSG;
        }
        if (r < 0) {
                dcom_free(fold);
                explicit_bzero(&a, sizeof a);
                return r;
        }
        r = db_append(db, &a, fold);
        explicit_bzero(&a, sizeof a);
        return r;
}

static int parse(const char *path, const char *data, size_t size, struct db *db) {
        const char *p = data, *end = data + size;
        const char *why = NULL;
        unsigned line = 0;
        int r = 0;

        if (memchr(data, 0, size)) {
                why = "NUL byte";
                r = -EBADMSG;
                goto out;
        }
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len;

                line++;
                if (!nl) {
                        why = "last line not terminated";
                        r = -EBADMSG;
                        goto out;
                }
                len = (size_t)(nl - p);
                if (line == 1) {
                        struct span f[4];
                        if (!split(p, len, f, 4) || !span_is(&f[0], ACCOUNTS_MAGIC)) {
                                why = "not an account file";
                                r = -EBADMSG;
                        } else if (!span_is(&f[1], ACCOUNTS_VERSION)) {
                                why = "unknown format version";
                                r = -EBADMSG;
                        } else if (!parse_sid(&f[2], db->sid)) {
                                why = "bad machine SID";
                                r = -EBADMSG;
                        } else if (!parse_u32(f[3].p, f[3].len, &db->next_rid) ||
                                   db->next_rid < ACCOUNT_RID_FIRST) {
                                why = "bad next RID";
                                r = -EBADMSG;
                        }
                } else if (len > ACCOUNTS_LINE_MAX) {
                        why = "line too long";
                        r = -EBADMSG;
                } else
                        r = parse_account(p, len, db, &why);
                if (r < 0)
                        goto out;
                p = nl + 1;
        }
        if (line == 0) {
                why = "empty file";
                r = -EBADMSG;
                goto out;
        }
        r = check_unique(path, db);
out:
        if (r == -EBADMSG && why)
                log_debug(auth, "%s:%u: %s", path, line, why);
        return r;
}

/*
 * Reads and parses the file into *db.  Returns 1 when it was read, 0 when there is no
 * file yet (*db empty), or a negative errno.
 */
static int db_load(const char *path, struct db *db) {
        struct stat st;
        char *data = NULL;
        size_t size = 0, cap;
        int fd, r;

        *db = (struct db){ 0 };
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return errno == EPERM ? -EACCES : -errno;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                log_debug(auth, "%s: not a regular file", path);
                r = -EBADMSG;
                goto out;
        }
        if ((uint64_t)st.st_size > ACCOUNTS_FILE_MAX) {
                r = -EFBIG;
                goto out;
        }
        /* Read to EOF, not to st_size, but never past the cap. */
        cap = (size_t)st.st_size + 1;
        data = dcom_malloc(cap);
        if (!data) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t k;

                if (size == cap) {
                        char *d;
                        if (cap > ACCOUNTS_FILE_MAX) {
                                r = -EFBIG;
                                goto out;
                        }
                        d = dcom_malloc(cap * 2);
                        if (!d) {
                                r = -ENOMEM;
                                goto out;
                        }
                        memcpy(d, data, size);
                        explicit_bzero(data, size);
                        dcom_free(data);
                        data = d;
                        cap *= 2;
                }
                k = read(fd, data + size, cap - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto out;
                }
                if (k == 0)
                        break;
                size += (size_t)k;
        }
        if (size > ACCOUNTS_FILE_MAX) {
                r = -EFBIG;
                goto out;
        }
        r = parse(path, data, size, db);
        if (r < 0)
                db_done(db);
        else
                r = 1;
out:
        if (data) {
                explicit_bzero(data, cap);
                dcom_free(data);
        }
        close(fd);
        return r;
}

/* ---- Writing ---------------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

static int format(const struct db *db, char **ret, size_t *ret_len) {
        size_t cap = 128, len = 0;
        char *s;
        int k;

        if (db->n > (SIZE_MAX - cap) / (ACCOUNTS_LINE_MAX + 1))
                return -ENOMEM;
        cap += db->n * (ACCOUNTS_LINE_MAX + 1);
        s = dcom_malloc(cap);
        if (!s)
                return -ENOMEM;
        k = snprintf(s, cap, "%s:%s:S-1-5-21-%u-%u-%u:%u\n", ACCOUNTS_MAGIC, ACCOUNTS_VERSION,
                     (unsigned)db->sid[0], (unsigned)db->sid[1], (unsigned)db->sid[2],
                     (unsigned)db->next_rid);
        assert(k > 0 && (size_t)k < cap);
        len = (size_t)k;
        for (size_t i = 0; i < db->n; i++) {
                const struct account *a = &db->v[i].a;
                char *o;

                k = snprintf(s + len, cap - len, "%s:%u:", a->name, (unsigned)a->rid);
                assert(k > 0 && (size_t)k < cap - len);
                len += (size_t)k;
                o = s + len;
                for (size_t j = 0; j < 16; j++) {
                        o[2 * j] = "0123456789abcdef"[a->nt_hash[j] >> 4];
                        o[2 * j + 1] = "0123456789abcdef"[a->nt_hash[j] & 15];
                }
                len += 32;
                k = snprintf(s + len, cap - len, ":%s\n", a->disabled ? "D" : "");
                assert(k > 0 && (size_t)k < cap - len);
                len += (size_t)k;
        }
        *ret = s;
        *ret_len = len;
        return 0;
}

/* Replaces path with data: a temporary file beside it, fsync, rename, fsync the directory. */
static int write_atomic(const char *dir, const char *path, const char *data, size_t len) {
        char *tmp;
        int fd, dfd, r;

        tmp = dcom_malloc(strlen(dir) + sizeof "/." ACCOUNTS_FILE ".XXXXXX");
        if (!tmp)
                return -ENOMEM;
        sprintf(tmp, "%s/.%s.XXXXXX", dir, ACCOUNTS_FILE);
        fd = mkostemp(tmp, O_CLOEXEC);          /* mode 0600 */
        if (fd < 0) {
                r = -errno;
                goto out_free;
        }
        if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
                r = -errno;
                close(fd);
                goto out_unlink;
        }
        if (close(fd) < 0) {
                r = -errno;
                goto out_unlink;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto out_unlink;
        }
        /* The rename itself must reach the disk before we report success. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = -errno;
                goto out_free;
        }
        r = fsync(dfd) < 0 ? -errno : 0;
        close(dfd);
        goto out_free;
out_unlink:
        unlink(tmp);
out_free:
        dcom_free(tmp);
        return r;
}

/* ---- Paths and the lock -------------------------------------------------------------------- */

/* The private directory and the file in it (both malloc()ed). */
static int get_paths(char **ret_dir, char **ret_file) {
        char *state, *dir, *file;
        int r;

        r = paths_machine_state(&state);
        if (r < 0)
                return r;
        dir = dcom_malloc(strlen(state) + sizeof "/" ACCOUNTS_DIR);
        file = dcom_malloc(strlen(state) + sizeof "/" ACCOUNTS_DIR "/" ACCOUNTS_FILE);
        if (!dir || !file) {
                dcom_free(dir);
                dcom_free(file);
                dcom_free(state);
                return -ENOMEM;
        }
        sprintf(dir, "%s/%s", state, ACCOUNTS_DIR);
        sprintf(file, "%s/%s/%s", state, ACCOUNTS_DIR, ACCOUNTS_FILE);
        dcom_free(state);
        if (ret_dir)
                *ret_dir = dir;
        else
                dcom_free(dir);
        *ret_file = file;
        return 0;
}

int accounts_parse(const char *data, size_t size, size_t *ret_n) {
        struct db db;
        int r;

        memset(&db, 0, sizeof db);
        r = parse("(buffer)", data, size, &db);
        if (r >= 0 && ret_n)
                *ret_n = db.n;
        db_done(&db);
        return r;
}

int accounts_path(char **ret) {
        return get_paths(NULL, ret);
}

/* Creates the private directory 0700 (its parents 0755) and tightens it if we own it. */
static int make_private_dir(const char *dir) {
        struct stat st;
        char *parent = dcom_strdup(dir);
        int r;

        if (!parent)
                return -ENOMEM;
        *strrchr(parent, '/') = 0;
        r = parent[0] ? paths_mkdir_p(parent, 0755) : 0;
        dcom_free(parent);
        if (r < 0)
                return r == -EPERM ? -EACCES : r;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return errno == EPERM ? -EACCES : -errno;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((st.st_mode & 077) && st.st_uid == geteuid() && chmod(dir, 0700) < 0)
                return -errno;
        return 0;
}

/* An exclusive flock on private/ntlm-accounts.lock; returns its fd. */
static int lock_take(const char *dir) {
        char *lock = dcom_malloc(strlen(dir) + sizeof "/" ACCOUNTS_FILE ".lock");
        int fd;

        if (!lock)
                return -ENOMEM;
        sprintf(lock, "%s/%s.lock", dir, ACCOUNTS_FILE);
        fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
        dcom_free(lock);
        if (fd < 0)
                return errno == EPERM ? -EACCES : -errno;
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
        }
        return fd;
}

static int new_machine_sid(uint32_t sid[3]) {
        uint8_t *b = (uint8_t *)sid;
        size_t got = 0;

        while (got < 3 * sizeof(uint32_t)) {
                ssize_t k = getrandom(b + got, 3 * sizeof(uint32_t) - got, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t)k;
        }
        return 0;
}

/*
 * Read, change, write under the lock: loads the file (or starts one with a new machine
 * SID), lets edit() change *db, and writes the result when edit() succeeds.
 */
typedef int (*edit_fn)(struct db *db, void *userdata);

static int transact(edit_fn edit, void *userdata) {
        char *dir = NULL, *path = NULL, *data = NULL;
        struct db db = { 0 };
        size_t len = 0;
        int lock, r;

        r = get_paths(&dir, &path);
        if (r < 0)
                return r;
        r = make_private_dir(dir);
        if (r < 0)
                goto out_free;
        lock = lock_take(dir);
        if (lock < 0) {
                r = lock;
                goto out_free;
        }
        r = db_load(path, &db);
        if (r == 0) {
                db.next_rid = ACCOUNT_RID_FIRST;
                r = new_machine_sid(db.sid);
                if (r == 0)
                        log_debug(auth, "%s: new account file", path);
        }
        if (r < 0)
                goto out_unlock;
        r = edit(&db, userdata);
        if (r < 0)
                goto out_unlock;
        r = format(&db, &data, &len);
        if (r < 0)
                goto out_unlock;
        r = write_atomic(dir, path, data, len);
        explicit_bzero(data, len);
        dcom_free(data);
out_unlock:
        db_done(&db);
        close(lock);            /* releases the flock */
out_free:
        dcom_free(dir);
        dcom_free(path);
        return r;
}

/* ---- The interface ------------------------------------------------------------------------ */

int accounts_nt_hash(const char *password_utf8, uint8_t ret[16]) {
        if (!password_utf8)
                return -EINVAL;
        return ntlm_nt_hash(password_utf8, ret);        /* NTOWFv1, one implementation */
}

int accounts_lookup(const char *name, struct account *ret) {
        struct db db;
        struct entry *e;
        char *path, *fold;
        int r;

        if (!name || !ret)
                return -EINVAL;
        r = name_fold(name, strlen(name), &fold);
        if (r < 0)
                return r;
        r = accounts_path(&path);
        if (r < 0)
                goto out_fold;
        r = db_load(path, &db);
        dcom_free(path);
        if (r < 0)
                goto out_fold;
        e = db_find(&db, fold);
        if (e) {
                *ret = e->a;
                r = 0;
        } else
                r = -ENOENT;
        db_done(&db);
out_fold:
        dcom_free(fold);
        return r;
}

int accounts_list(struct account **ret, size_t *ret_n) {
        struct account *v = NULL;
        struct db db;
        char *path;
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = accounts_path(&path);
        if (r < 0)
                return r;
        r = db_load(path, &db);
        dcom_free(path);
        if (r < 0)
                return r;
        if (db.n > 0) {
                v = dcom_reallocarray(NULL, db.n, sizeof *v);
                if (!v) {
                        db_done(&db);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < db.n; i++)
                        v[i] = db.v[i].a;
        }
        *ret = v;
        *ret_n = db.n;
        db_done(&db);
        return 0;
}

struct set_hash {
        const char *name;
        const uint8_t *hash;
};

static int edit_set_hash(struct db *db, void *userdata) {
        struct set_hash *s = userdata;
        struct account a = { 0 };
        struct entry *e;
        char *fold;
        size_t len = strlen(s->name);
        int r;

        r = name_fold(s->name, len, &fold);
        if (r < 0)
                return r;
        e = db_find(db, fold);
        if (e) {
                dcom_free(fold);
                memcpy(e->a.nt_hash, s->hash, 16);
                return 0;
        }
        if (db->next_rid == UINT32_MAX) {
                dcom_free(fold);
                return -ENOSPC;
        }
        memcpy(a.name, s->name, len + 1);
        a.rid = db->next_rid;
        memcpy(a.nt_hash, s->hash, 16);
        r = db_append(db, &a, fold);
        explicit_bzero(&a, sizeof a);
        if (r < 0)
                return r;
        db->next_rid++;
        return 0;
}

static int check_name(const char *name) {
        char *fold;
        int r;

        if (!name)
                return -EINVAL;
        r = name_fold(name, strlen(name), &fold);
        if (r < 0)
                return r;
        dcom_free(fold);
        return 0;
}

int accounts_set_hash(const char *name, const uint8_t nt_hash[16]) {
        struct set_hash s = { name, nt_hash };
        int r;

        if (!nt_hash)
                return -EINVAL;
        /* A bad name is refused before anything is created on disk. */
        r = check_name(name);
        if (r < 0)
                return r;
        return transact(edit_set_hash, &s);
}

int accounts_set_password(const char *name, const char *password_utf8) {
        uint8_t h[16];
        int r;

        r = check_name(name);
        if (r < 0)
                return r;
        r = accounts_nt_hash(password_utf8, h);
        if (r < 0)
                return r;
        r = accounts_set_hash(name, h);
        explicit_bzero(h, sizeof h);
        return r;
}

static int edit_delete(struct db *db, void *userdata) {
        char *fold;
        struct entry *e;
        int r;

        r = name_fold(userdata, strlen(userdata), &fold);
        if (r < 0)
                return r;
        e = db_find(db, fold);
        dcom_free(fold);
        if (!e)
                return -ENOENT;
        dcom_free(e->fold);
        /* Keep the order of addition. */
        memmove(e, e + 1, (size_t)(db->v + db->n - (e + 1)) * sizeof *e);
        db->n--;
        explicit_bzero(&db->v[db->n], sizeof db->v[db->n]);
        return 0;
}

/* -ENOENT without touching the disk when the account cannot exist. */
static int check_existing(const char *name) {
        struct account a;
        int r;

        r = accounts_lookup(name, &a);
        explicit_bzero(&a, sizeof a);
        return r;
}

int accounts_delete(const char *name) {
        int r;

        r = check_existing(name);
        if (r < 0)
                return r;
        return transact(edit_delete, (void *)name);
}

struct set_disabled {
        const char *name;
        bool disabled;
};

static int edit_set_disabled(struct db *db, void *userdata) {
        struct set_disabled *s = userdata;
        struct entry *e;
        char *fold;
        int r;

        r = name_fold(s->name, strlen(s->name), &fold);
        if (r < 0)
                return r;
        e = db_find(db, fold);
        dcom_free(fold);
        if (!e)
                return -ENOENT;
        e->a.disabled = s->disabled;
        return 0;
}

int accounts_set_disabled(const char *name, bool disabled) {
        struct set_disabled s = { name, disabled };
        int r;

        r = check_existing(name);
        if (r < 0)
                return r;
        return transact(edit_set_disabled, &s);
}

static int edit_nothing(struct db *db, void *userdata) {
        uint32_t *sid = userdata;

        memcpy(sid, db->sid, sizeof db->sid);
        return 0;
}

int accounts_machine_sid(char *buf, size_t size) {
        char tmp[ACCOUNT_MACHINE_SID_MAX];
        uint32_t sid[3];
        struct db db;
        char *path;
        int r, k;

        if (!buf)
                return -EINVAL;
        r = accounts_path(&path);
        if (r < 0)
                return r;
        r = db_load(path, &db);
        dcom_free(path);
        if (r < 0)
                return r;
        if (r > 0) {
                memcpy(sid, db.sid, sizeof sid);
                db_done(&db);
        } else {
                /* No file yet: create it, unless another process just did (then its SID). */
                r = transact(edit_nothing, sid);
                if (r < 0)
                        return r;
        }
        k = snprintf(tmp, sizeof tmp, "S-1-5-21-%u-%u-%u", (unsigned)sid[0], (unsigned)sid[1],
                     (unsigned)sid[2]);
        if (k < 0 || (size_t)k >= size)
                return -ERANGE;
        memcpy(buf, tmp, (size_t)k + 1);
        return 0;
}
