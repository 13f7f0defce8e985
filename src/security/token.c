/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A caller's token ([MS-DTYP] 2.5.2 in spirit): the user SID and the group SIDs an
 * access check matches ACEs against.  Unix identities give S-1-22-1-uid and, through
 * getgrouplist, S-1-22-2-gid for each group; Windows' built-in groups come from how the
 * caller arrived (NETWORK, INTERACTIVE) and from two Unix groups the administrator names
 * under HKLM\Software\OpenDCOM (AdministratorsGroup, DistributedComUsersGroup).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dcom/winreg.h>

#include "security/security-internal.h"
#include "security/settings.h"

struct sec_token {
        char user[SEC_SID_STRING_MAX];
        size_t n;
        struct sec_sid *sids;           /* sids[0] is the user */
        char (*strings)[SEC_SID_STRING_MAX];
};

static int add(struct sec_token *t, const struct sec_sid *sid) {
        struct sec_sid *ns;
        char (*nstr)[SEC_SID_STRING_MAX];

        for (size_t i = 0; i < t->n; i++)
                if (sec_sid_equal(&t->sids[i], sid))
                        return 0;
        ns = dcom_reallocarray(t->sids, t->n + 1, sizeof *ns);
        if (!ns)
                return -ENOMEM;
        t->sids = ns;
        nstr = dcom_reallocarray(t->strings, t->n + 1, sizeof *nstr);
        if (!nstr)
                return -ENOMEM;
        t->strings = nstr;
        t->sids[t->n] = *sid;
        sec_sid_format(sid, t->strings[t->n], sizeof t->strings[t->n]);
        t->n++;
        return 0;
}

static int add_str(struct sec_token *t, const char *s) {
        struct sec_sid sid;
        int r = sec_sid_parse(s, false, &sid);

        return r < 0 ? r : add(t, &sid);
}

/* HKLM\Software\OpenDCOM's value naming a Unix group, as its gid; -ENOENT when unset. */
static int configured_group(const WCHAR *value, gid_t *ret) {
        WCHAR name[256];
        DWORD size = sizeof name;
        struct group gr, *gp = NULL;
        char buf[8192], *u8;
        size_t n;
        LSTATUS st;
        int r;

        st = RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM", value, RRF_RT_REG_SZ, NULL,
                          name, &size);
        if (st == ERROR_NOT_ENOUGH_MEMORY || st == ERROR_OUTOFMEMORY)
                return -ENOMEM;
        if (st != ERROR_SUCCESS || !name[0])
                return -ENOENT;         /* unset (or unreadable): no such group */
        r = dcom_utf16_to_utf8(name, dcom_utf16_len(name), &u8, &n);
        if (r < 0)
                return r;
        if (getgrnam_r(u8, &gr, buf, sizeof buf, &gp) != 0 || !gp) {
                log_debug(security, "HKLM\\Software\\OpenDCOM: Unix group \"%s\" not found", u8);
                dcom_free(u8);
                return -ENOENT;
        }
        dcom_free(u8);
        *ret = gp->gr_gid;
        return 0;
}

static bool in_groups(const gid_t *groups, int n, gid_t g) {
        for (int i = 0; i < n; i++)
                if (groups[i] == g)
                        return true;
        return false;
}

/* S-1-22-1-uid, its Unix groups, and the built-in groups they stand for. */
static int add_unix(struct sec_token *t, uid_t uid) {
        char s[SEC_SID_STRING_MAX], pwbuf[4096];
        struct passwd pw, *pp = NULL;
        gid_t *groups = NULL, g;
        int n = 0, r;

        snprintf(s, sizeof s, "S-1-22-1-%u", (unsigned)uid);
        r = add_str(t, s);
        if (r < 0)
                return r;
        if (uid == 0) {
                r = add_str(t, "S-1-5-32-544");         /* BUILTIN\Administrators */
                if (r >= 0)
                        r = add_str(t, "S-1-5-18");     /* SYSTEM */
                if (r < 0)
                        return r;
        }
        if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pp) != 0 || !pp)
                return 0;               /* a uid without an account: no groups */
        for (int tries = 0; tries < 4; tries++) {
                int want = n > 0 ? n : 32;
                gid_t *ng = dcom_reallocarray(groups, (size_t)want, sizeof *ng);

                if (!ng) {
                        dcom_free(groups);
                        return -ENOMEM;
                }
                groups = ng;
                n = want;
                if (getgrouplist(pp->pw_name, pp->pw_gid, groups, &n) >= 0)
                        break;
                if (n <= want)
                        n = want * 2;
                if (tries == 3)
                        n = 0;
        }
        for (int i = 0; i < n; i++) {
                snprintf(s, sizeof s, "S-1-22-2-%u", (unsigned)groups[i]);
                r = add_str(t, s);
                if (r < 0)
                        goto out;
        }
        r = configured_group(u"AdministratorsGroup", &g);
        if (r == -ENOMEM)
                goto out;
        if (r == 0 && in_groups(groups, n, g)) {
                r = add_str(t, "S-1-5-32-544");
                if (r < 0)
                        goto out;
        }
        r = configured_group(u"DistributedComUsersGroup", &g);
        if (r == -ENOMEM)
                goto out;
        if (r == 0 && in_groups(groups, n, g)) {
                r = add_str(t, "S-1-5-32-562");
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        dcom_free(groups);
        return r;
}

int sec_token_new(const struct sec_token_info *info, struct sec_token **ret) {
        struct sec_token *t;
        struct sec_sid user;
        int r;

        if (!info || !ret || (!info->user_sid && !info->has_uid))
                return -EINVAL;
        if (info->user_sid)
                r = sec_sid_parse(info->user_sid, false, &user);
        else {
                char s[SEC_SID_STRING_MAX];
                snprintf(s, sizeof s, "S-1-22-1-%u", (unsigned)info->uid);
                r = sec_sid_parse(s, false, &user);
        }
        if (r < 0)
                return r;
        t = dcom_calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        r = add(t, &user);
        if (r < 0)
                goto fail;
        sec_sid_format(&user, t->user, sizeof t->user);
        if (info->has_uid) {
                r = add_unix(t, info->uid);
                if (r < 0)
                        goto fail;
        }
        /* Everyone -- which holds ANONYMOUS LOGON only when the machine says so
           (HKLM\SYSTEM\CurrentControlSet\Control\Lsa EveryoneIncludesAnonymous, 0
           since Windows XP: anonymous callers pass only what names them explicitly) */
        uint32_t everyone_anon = 0;
        if (!info->anonymous ||
            (sec_reg_dword(HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Control\\Lsa",
                           "EveryoneIncludesAnonymous", &everyone_anon) && everyone_anon)) {
                r = add_str(t, "S-1-1-0");
                if (r < 0)
                        goto fail;
        }
        if (info->anonymous)
                r = add_str(t, "S-1-5-7");              /* ANONYMOUS LOGON */
        else {
                r = add_str(t, "S-1-5-11");             /* Authenticated Users */
                if (r >= 0)
                        r = add_str(t, "S-1-5-32-545"); /* BUILTIN\Users holds them */
        }
        if (r < 0)
                goto fail;
        if (info->remote)
                r = add_str(t, "S-1-5-2");              /* NETWORK */
        else if (info->anonymous)
                r = add_str(t, "S-1-2-0");              /* LOCAL, never INTERACTIVE */
        else {
                r = add_str(t, "S-1-5-4");              /* INTERACTIVE */
                if (r >= 0)
                        r = add_str(t, "S-1-2-0");      /* LOCAL */
        }
        if (r < 0)
                goto fail;
        *ret = t;
        return 0;
fail:
        sec_token_free(t);
        return r;
}

int sec_token_add_sid(struct sec_token *t, const char *sid) {
        if (!t || !sid)
                return -EINVAL;
        if (sec_token_has_sid(t, sid))
                return 0;
        return add_str(t, sid);
}

struct sec_token *sec_token_free(struct sec_token *t) {
        if (t) {
                dcom_free(t->sids);
                dcom_free(t->strings);
                dcom_free(t);
        }
        return NULL;
}

bool sec_token_has(const struct sec_token *t, const struct sec_sid *sid) {
        if (!t || !sid)
                return false;
        for (size_t i = 0; i < t->n; i++)
                if (sec_sid_equal(&t->sids[i], sid))
                        return true;
        return false;
}

bool sec_token_has_sid(const struct sec_token *t, const char *s) {
        struct sec_sid sid;

        return s && sec_sid_parse(s, true, &sid) >= 0 && sec_token_has(t, &sid);
}

const char *sec_token_user_sid(const struct sec_token *t) {
        return t ? t->user : NULL;
}

size_t sec_token_count(const struct sec_token *t) {
        return t ? t->n : 0;
}

const char *sec_token_sid_at(const struct sec_token *t, size_t i) {
        return t && i < t->n ? t->strings[i] : NULL;
}

int sec_token_describe(const struct sec_token *t, char *buf, size_t n) {
        char name[600];

        if (!t)
                return snprintf(buf, n, "(nobody)");
        if (sec_lookup_sid(t->user, name, sizeof name) < 0 || strcmp(name, t->user) == 0)
                return snprintf(buf, n, "%s", t->user);
        return snprintf(buf, n, "%s (%s)", name, t->user);
}
