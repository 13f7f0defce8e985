/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIDs ([MS-DTYP] 2.4.2): the string form ("S-1-5-32-544", 2.4.2.1), the binary form
 * (2.4.2.2), SDDL's two-letter aliases (2.5.1.1) and names for people: the well-known
 * SIDs (2.4.2.4) with Windows' account names, OpenDCOM's NTLM accounts
 * (S-1-5-21-machine-RID, src/rpc/auth/accounts.c) and Unix users and groups (Samba's
 * S-1-22-1-uid and S-1-22-2-gid).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "security/security-internal.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/ntlm.h"

LOG_CHANNEL(security);

/* --- the string form ([MS-DTYP] 2.4.2.1) ------------------------------------------------ */

/* Decimal digits into a value <= max; advances *p.  Leading zeros are Windows' too. */
static int parse_dec(const char **p, uint64_t max, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!isdigit((unsigned char)*s))
                return -EINVAL;
        for (; isdigit((unsigned char)*s); s++) {
                v = v * 10 + (uint64_t)(*s - '0');
                if (v > max)
                        return -EINVAL;
        }
        *p = s;
        *ret = v;
        return 0;
}

static const struct {
        const char *alias;
        const char *sid;
} sddl_aliases[] = {
        /* [MS-DTYP] 2.5.1.1: the SID strings SDDL abbreviates (those relative to a domain
           -- DA, DU, LA, ... -- need one; this machine has none) */
        { "AA", "S-1-5-32-579" }, { "AC", "S-1-15-2-1" },   { "AN", "S-1-5-7" },
        { "AO", "S-1-5-32-548" }, { "AS", "S-1-18-1" },     { "AU", "S-1-5-11" },
        { "BA", "S-1-5-32-544" }, { "BG", "S-1-5-32-546" }, { "BO", "S-1-5-32-551" },
        { "BU", "S-1-5-32-545" }, { "CD", "S-1-5-32-574" }, { "CG", "S-1-3-1" },
        { "CO", "S-1-3-0" },      { "CY", "S-1-5-32-569" }, { "ED", "S-1-5-9" },
        { "ER", "S-1-5-32-573" }, { "ES", "S-1-5-32-576" }, { "HA", "S-1-5-32-578" },
        { "HI", "S-1-16-12288" }, { "IS", "S-1-5-32-568" }, { "IU", "S-1-5-4" },
        { "LS", "S-1-5-19" },     { "LU", "S-1-5-32-559" }, { "LW", "S-1-16-4096" },
        { "ME", "S-1-16-8192" },  { "MP", "S-1-16-8448" },  { "MS", "S-1-5-32-577" },
        { "MU", "S-1-5-32-558" }, { "NO", "S-1-5-32-556" }, { "NS", "S-1-5-20" },
        { "NU", "S-1-5-2" },      { "OW", "S-1-3-4" },      { "PO", "S-1-5-32-550" },
        { "PS", "S-1-5-10" },     { "PU", "S-1-5-32-547" }, { "RA", "S-1-5-32-575" },
        { "RC", "S-1-5-12" },     { "RD", "S-1-5-32-555" }, { "RE", "S-1-5-32-552" },
        { "RM", "S-1-5-32-580" }, { "RU", "S-1-5-32-554" }, { "SI", "S-1-16-16384" },
        { "SO", "S-1-5-32-549" }, { "SS", "S-1-18-2" },     { "SU", "S-1-5-6" },
        { "SY", "S-1-5-18" },     { "UD", "S-1-5-84-0-0-0-0-0" },
        { "WD", "S-1-1-0" },      { "WR", "S-1-5-33" },
};

static int parse_sid_string(const char *s, struct sec_sid *ret, const char **end) {
        struct sec_sid sid = { .revision = 1 };
        uint64_t v;
        const char *p = s;

        if ((p[0] != 'S' && p[0] != 's') || p[1] != '-')
                return -EINVAL;
        p += 2;
        if (parse_dec(&p, 255, &v) < 0 || v != 1 || *p != '-')
                return -EINVAL;
        p++;
        /* the identifier authority: decimal below 2^32, else 0x and 12 hex digits */
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                int i;

                p += 2;
                v = 0;
                for (i = 0; i < 12; i++) {
                        int d = hex_digit((unsigned char)p[i]);
                        if (d < 0)
                                return -EINVAL;
                        v = v << 4 | (uint64_t)d;
                }
                p += 12;
        } else if (parse_dec(&p, UINT32_MAX, &v) < 0)
                return -EINVAL;
        for (int i = 0; i < 6; i++)
                sid.authority[i] = (uint8_t)(v >> (8 * (5 - i)));
        while (*p == '-') {
                p++;
                if (sid.n == SEC_SID_MAX_SUB || parse_dec(&p, UINT32_MAX, &v) < 0)
                        return -EINVAL;
                sid.sub[sid.n++] = (uint32_t)v;
        }
        *ret = sid;
        *end = p;
        return 0;
}

/* The SID at the start of s (SDDL's sid-string); *end after it. */
int sec_sid_parse_prefix(const char *s, bool aliases, struct sec_sid *ret, const char **end) {
        if (aliases && s[0] && s[1] && isupper((unsigned char)s[0]) &&
            isupper((unsigned char)s[1])) {
                for (size_t i = 0; i < ELEMENTSOF(sddl_aliases); i++)
                        if (s[0] == sddl_aliases[i].alias[0] && s[1] == sddl_aliases[i].alias[1]) {
                                const char *e;
                                int r = parse_sid_string(sddl_aliases[i].sid, ret, &e);
                                if (r < 0)
                                        return r;
                                *end = s + 2;
                                return 0;
                        }
        }
        return parse_sid_string(s, ret, end);
}

int sec_sid_parse(const char *s, bool aliases, struct sec_sid *ret) {
        struct sec_sid sid;
        const char *end;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = sec_sid_parse_prefix(s, aliases, &sid, &end);
        if (r < 0 || *end) {
                log_debug(security, "not a SID: \"%.80s\"", s);
                return -EINVAL;
        }
        *ret = sid;
        return 0;
}

int sec_sid_format(const struct sec_sid *sid, char *buf, size_t n) {
        char tmp[SEC_SID_STRING_MAX];
        uint64_t auth = 0;
        int k;

        for (int i = 0; i < 6; i++)
                auth = auth << 8 | sid->authority[i];
        /* [MS-DTYP] 2.4.2.1: the authority in decimal below 2^32, else in hex */
        if (auth < (UINT64_C(1) << 32))
                k = snprintf(tmp, sizeof tmp, "S-%u-%" PRIu64, sid->revision, auth);
        else
                k = snprintf(tmp, sizeof tmp, "S-%u-0x%012" PRIX64, sid->revision, auth);
        for (unsigned i = 0; i < sid->n && i < SEC_SID_MAX_SUB; i++)
                k += snprintf(tmp + k, sizeof tmp - (size_t)k, "-%" PRIu32, sid->sub[i]);
        if ((size_t)k >= n)
                return -ERANGE;
        memcpy(buf, tmp, (size_t)k + 1);
        return k;
}

/* The SDDL alias of a SID, or NULL. */
const char *sec_sid_alias(const struct sec_sid *sid) {
        char s[SEC_SID_STRING_MAX];

        if (sec_sid_format(sid, s, sizeof s) < 0)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(sddl_aliases); i++)
                if (strcmp(s, sddl_aliases[i].sid) == 0)
                        return sddl_aliases[i].alias;
        return NULL;
}

/* --- the binary form ([MS-DTYP] 2.4.2.2) ------------------------------------------------ */

int sec_sid_pull(const void *p, size_t size, struct sec_sid *ret, size_t *ret_len) {
        const uint8_t *b = p;
        struct sec_sid sid;

        if (size < 8) {
                log_debug(security, "SID: %zu bytes, less than its 8-byte header", size);
                return -EBADMSG;
        }
        sid.revision = b[0];
        sid.n = b[1];
        if (sid.revision != 1) {
                log_debug(security, "SID: revision %u, not 1", sid.revision);
                return -EBADMSG;
        }
        if (sid.n > SEC_SID_MAX_SUB) {
                log_debug(security, "SID: %u sub-authorities, more than 15", sid.n);
                return -EBADMSG;
        }
        if (size < 8 + 4 * (size_t)sid.n) {
                log_debug(security, "SID: %u sub-authorities need %u bytes, %zu left", sid.n,
                          8 + 4 * sid.n, size);
                return -EBADMSG;
        }
        memcpy(sid.authority, b + 2, 6);
        for (unsigned i = 0; i < sid.n; i++)
                sid.sub[i] = le32(b + 8 + 4 * i);
        *ret = sid;
        if (ret_len)
                *ret_len = 8 + 4 * (size_t)sid.n;
        return 0;
}

size_t sec_sid_size(const struct sec_sid *sid) {
        return 8 + 4 * (size_t)sid->n;
}

void sec_sid_push(const struct sec_sid *sid, uint8_t *buf) {
        buf[0] = sid->revision;
        buf[1] = sid->n;
        memcpy(buf + 2, sid->authority, 6);
        for (unsigned i = 0; i < sid->n; i++)
                put_le32(buf + 8 + 4 * i, sid->sub[i]);
}

bool sec_sid_equal(const struct sec_sid *a, const struct sec_sid *b) {
        return a->revision == b->revision && a->n == b->n &&
               memcmp(a->authority, b->authority, 6) == 0 &&
               memcmp(a->sub, b->sub, 4 * (size_t)a->n) == 0;
}

/* --- names ------------------------------------------------------------------------------ */

static const struct {
        const char *sid;
        const char *name;               /* DOMAIN\name as Windows' LookupAccountSid gives it */
} well_known[] = {
        /* [MS-DTYP] 2.4.2.4 */
        { "S-1-1-0", "Everyone" },
        { "S-1-2-0", "LOCAL" },
        { "S-1-2-1", "CONSOLE LOGON" },
        { "S-1-3-0", "CREATOR OWNER" },
        { "S-1-3-1", "CREATOR GROUP" },
        { "S-1-3-4", "OWNER RIGHTS" },
        { "S-1-5-1", "NT AUTHORITY\\DIALUP" },
        { "S-1-5-2", "NT AUTHORITY\\NETWORK" },
        { "S-1-5-3", "NT AUTHORITY\\BATCH" },
        { "S-1-5-4", "NT AUTHORITY\\INTERACTIVE" },
        { "S-1-5-6", "NT AUTHORITY\\SERVICE" },
        { "S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON" },
        { "S-1-5-9", "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS" },
        { "S-1-5-10", "NT AUTHORITY\\SELF" },
        { "S-1-5-11", "NT AUTHORITY\\Authenticated Users" },
        { "S-1-5-12", "NT AUTHORITY\\RESTRICTED" },
        { "S-1-5-13", "NT AUTHORITY\\TERMINAL SERVER USER" },
        { "S-1-5-14", "NT AUTHORITY\\REMOTE INTERACTIVE LOGON" },
        { "S-1-5-15", "NT AUTHORITY\\This Organization" },
        { "S-1-5-18", "NT AUTHORITY\\SYSTEM" },
        { "S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE" },
        { "S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE" },
        { "S-1-5-33", "NT AUTHORITY\\WRITE RESTRICTED" },
        { "S-1-5-84-0-0-0-0-0", "NT AUTHORITY\\USER MODE DRIVERS" },
        { "S-1-5-32-544", "BUILTIN\\Administrators" },
        { "S-1-5-32-545", "BUILTIN\\Users" },
        { "S-1-5-32-546", "BUILTIN\\Guests" },
        { "S-1-5-32-547", "BUILTIN\\Power Users" },
        { "S-1-5-32-548", "BUILTIN\\Account Operators" },
        { "S-1-5-32-549", "BUILTIN\\Server Operators" },
        { "S-1-5-32-550", "BUILTIN\\Print Operators" },
        { "S-1-5-32-551", "BUILTIN\\Backup Operators" },
        { "S-1-5-32-552", "BUILTIN\\Replicator" },
        { "S-1-5-32-554", "BUILTIN\\Pre-Windows 2000 Compatible Access" },
        { "S-1-5-32-555", "BUILTIN\\Remote Desktop Users" },
        { "S-1-5-32-556", "BUILTIN\\Network Configuration Operators" },
        { "S-1-5-32-558", "BUILTIN\\Performance Monitor Users" },
        { "S-1-5-32-559", "BUILTIN\\Performance Log Users" },
        { "S-1-5-32-562", "BUILTIN\\Distributed COM Users" },
        { "S-1-5-32-568", "BUILTIN\\IIS_IUSRS" },
        { "S-1-5-32-569", "BUILTIN\\Cryptographic Operators" },
        { "S-1-5-32-573", "BUILTIN\\Event Log Readers" },
        { "S-1-5-32-574", "BUILTIN\\Certificate Service DCOM Access" },
        { "S-1-5-32-575", "BUILTIN\\RDS Remote Access Servers" },
        { "S-1-5-32-576", "BUILTIN\\RDS Endpoint Servers" },
        { "S-1-5-32-577", "BUILTIN\\RDS Management Servers" },
        { "S-1-5-32-578", "BUILTIN\\Hyper-V Administrators" },
        { "S-1-5-32-579", "BUILTIN\\Access Control Assistance Operators" },
        { "S-1-5-32-580", "BUILTIN\\Remote Management Users" },
        { "S-1-15-2-1", "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES" },
        { "S-1-16-4096", "Mandatory Label\\Low Mandatory Level" },
        { "S-1-16-8192", "Mandatory Label\\Medium Mandatory Level" },
        { "S-1-16-8448", "Mandatory Label\\Medium Plus Mandatory Level" },
        { "S-1-16-12288", "Mandatory Label\\High Mandatory Level" },
        { "S-1-16-16384", "Mandatory Label\\System Mandatory Level" },
        { "S-1-18-1", "Authentication authority asserted identity" },
        { "S-1-18-2", "Service asserted identity" },
};

void sec_host_name(char *buf, size_t n) {
        struct ntlm_settings s;

        ntlm_get_settings(&s);
        snprintf(buf, n, "%s", s.domain[0] ? s.domain : "LOCALHOST");
}

static int put(char *buf, size_t n, const char *s) {
        size_t len = strlen(s);

        if (!buf || len >= n)
                return -ERANGE;
        memcpy(buf, s, len + 1);
        return 0;
}

/* The NTLM account's SID, when the store is readable and has it. */
static int account_sid(const char *user, char *ret, size_t n) {
        char msid[ACCOUNT_MACHINE_SID_MAX], tmp[SEC_SID_STRING_MAX];
        struct account a;
        int r;

        r = accounts_lookup(user, &a);
        if (r < 0)
                return r;               /* -ENOENT, -EACCES (not ours to read), ... */
        /* the account exists, so the file does: this reads its machine SID, writes nothing */
        r = accounts_machine_sid(msid, sizeof msid);
        if (r < 0)
                return r;
        snprintf(tmp, sizeof tmp, "%s-%" PRIu32, msid, a.rid);
        return put(ret, n, tmp);
}

static int unix_user(const char *user, uid_t *ret) {
        struct passwd pw, *pp = NULL;
        char buf[4096];
        char *end;
        unsigned long v;

        if (getpwnam_r(user, &pw, buf, sizeof buf, &pp) == 0 && pp) {
                *ret = pp->pw_uid;
                return 0;
        }
        errno = 0;
        v = strtoul(user, &end, 10);    /* "Unix User\1001" names a uid without a name */
        if (isdigit((unsigned char)user[0]) && !*end && errno == 0 && v <= UINT32_MAX - 1) {
                *ret = (uid_t)v;
                return 0;
        }
        return -ENOENT;
}

static int unix_group(const char *group, gid_t *ret) {
        struct group gr, *gp = NULL;
        char buf[8192];
        char *end;
        unsigned long v;

        if (getgrnam_r(group, &gr, buf, sizeof buf, &gp) == 0 && gp) {
                *ret = gp->gr_gid;
                return 0;
        }
        errno = 0;
        v = strtoul(group, &end, 10);
        if (isdigit((unsigned char)group[0]) && !*end && errno == 0 && v <= UINT32_MAX - 1) {
                *ret = (gid_t)v;
                return 0;
        }
        return -ENOENT;
}

int sec_lookup_name(const char *name, char *ret_sid, size_t n) {
        char host[64], tmp[SEC_SID_STRING_MAX];
        const char *bs, *user;
        struct sec_sid sid;
        uid_t uid;
        gid_t gid;
        size_t dlen;
        int r;

        if (!name || !*name)
                return -EINVAL;
        /* "S-1-..." and the SDDL aliases (upper case, two letters) */
        if (sec_sid_parse(name, strlen(name) == 2, &sid) >= 0) {
                sec_sid_format(&sid, tmp, sizeof tmp);
                return put(ret_sid, n, tmp);
        }
        bs = strchr(name, '\\');
        user = bs ? bs + 1 : name;
        dlen = bs ? (size_t)(bs - name) : 0;
        if (!*user)
                return -ENOENT;
        /* well-known: the whole name, or without its domain when none is given */
        for (size_t i = 0; i < ELEMENTSOF(well_known); i++) {
                const char *wk = well_known[i].name, *wbs = strchr(wk, '\\');

                if (strcasecmp(name, wk) == 0 || (!bs && wbs && strcasecmp(name, wbs + 1) == 0))
                        return put(ret_sid, n, well_known[i].sid);
        }
        if (bs && dlen == 10 && strncasecmp(name, "Unix Group", dlen) == 0) {
                if (unix_group(user, &gid) < 0)
                        return -ENOENT;
                snprintf(tmp, sizeof tmp, "S-1-22-2-%u", (unsigned)gid);
                return put(ret_sid, n, tmp);
        }
        if (bs && dlen == 9 && strncasecmp(name, "Unix User", dlen) == 0) {
                if (unix_user(user, &uid) < 0)
                        return -ENOENT;
                snprintf(tmp, sizeof tmp, "S-1-22-1-%u", (unsigned)uid);
                return put(ret_sid, n, tmp);
        }
        sec_host_name(host, sizeof host);
        if (bs && !(strlen(host) == dlen && strncasecmp(name, host, dlen) == 0) &&
            !(dlen == 1 && name[0] == '.'))
                return -ENOENT;         /* another domain: none is known here */
        /* this machine's user: an NTLM account we can read first, then a Unix user */
        r = account_sid(user, ret_sid, n);
        if (r == 0 || r == -ERANGE)
                return r;
        r = unix_user(user, &uid);
        if (r < 0 || isdigit((unsigned char)user[0]))
                return -ENOENT;
        snprintf(tmp, sizeof tmp, "S-1-22-1-%u", (unsigned)uid);
        return put(ret_sid, n, tmp);
}

int sec_lookup_sid(const char *sid_string, char *ret_name, size_t n) {
        char s[SEC_SID_STRING_MAX], host[64], tmp[600];
        struct sec_sid sid;

        if (!sid_string || !ret_name)
                return -EINVAL;
        if (sec_sid_parse(sid_string, false, &sid) < 0)
                return put(ret_name, n, sid_string);
        sec_sid_format(&sid, s, sizeof s);
        for (size_t i = 0; i < ELEMENTSOF(well_known); i++)
                if (strcmp(s, well_known[i].sid) == 0)
                        return put(ret_name, n, well_known[i].name);
        sec_host_name(host, sizeof host);
        /* S-1-22-1-uid, S-1-22-2-gid */
        if (sid.authority[5] == 22 && sid.n == 2 && sid.sub[0] == 1) {
                struct passwd pw, *pp = NULL;
                char buf[4096];
                struct account a;

                if (getpwuid_r((uid_t)sid.sub[1], &pw, buf, sizeof buf, &pp) == 0 && pp) {
                        /* "HOST\alice" names the NTLM account when there is one */
                        if (accounts_lookup(pp->pw_name, &a) == 0)
                                snprintf(tmp, sizeof tmp, "Unix User\\%s", pp->pw_name);
                        else
                                snprintf(tmp, sizeof tmp, "%s\\%s", host, pp->pw_name);
                        return put(ret_name, n, tmp);
                }
                snprintf(tmp, sizeof tmp, "Unix User\\%" PRIu32, sid.sub[1]);
                return put(ret_name, n, tmp);
        }
        if (sid.authority[5] == 22 && sid.n == 2 && sid.sub[0] == 2) {
                struct group gr, *gp = NULL;
                char buf[8192];

                if (getgrgid_r((gid_t)sid.sub[1], &gr, buf, sizeof buf, &gp) == 0 && gp)
                        snprintf(tmp, sizeof tmp, "Unix Group\\%s", gp->gr_name);
                else
                        snprintf(tmp, sizeof tmp, "Unix Group\\%" PRIu32, sid.sub[1]);
                return put(ret_name, n, tmp);
        }
        /* S-1-5-21-machine-RID: an NTLM account of ours */
        if (sid.authority[5] == 5 && sid.n == 5 && sid.sub[0] == 21) {
                struct account *list = NULL;
                size_t count = 0;
                char msid[ACCOUNT_MACHINE_SID_MAX];

                if (accounts_list(&list, &count) >= 0 && count > 0 &&
                    accounts_machine_sid(msid, sizeof msid) >= 0) {
                        size_t ml = strlen(msid);

                        for (size_t i = 0; i < count; i++) {
                                if (strncmp(s, msid, ml) == 0 && s[ml] == '-' &&
                                    strtoul(s + ml + 1, NULL, 10) == list[i].rid) {
                                        snprintf(tmp, sizeof tmp, "%s\\%s", host, list[i].name);
                                        dcom_free(list);
                                        return put(ret_name, n, tmp);
                                }
                        }
                }
                dcom_free(list);
        }
        return put(ret_name, n, s);
}
