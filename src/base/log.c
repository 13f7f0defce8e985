/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Channel logging.  The DCOM_DEBUG list is parsed once per generation into a small
 * table; each channel caches its verdict with the generation it was made in, so
 * log_reload() invalidates every cache by bumping the generation.  One line is
 * formatted into a stack buffer and written with a single write() so that lines from
 * different threads and processes sharing stderr do not interleave.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

atomic_uint log_generation_ = 1;

#define MAX_RULES 32
#define NAME_MAX_LEN 31

struct rule {
        char name[NAME_MAX_LEN + 1];
        bool on;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned parsed_generation;      /* generation the rules belong to */
static struct rule rules[MAX_RULES];
static size_t n_rules;
static _Atomic enum log_target target = LOG_TARGET_STDERR;
static bool target_forced;
static bool syslog_open;

/* Parses "a,b,-c,all" into rules; later rules win.  Called with lock held. */
static void parse_env(void) {
        const char *s = getenv("DCOM_DEBUG");
        const char *t = getenv("DCOM_LOG");

        n_rules = 0;
        while (s && *s) {
                size_t len = strcspn(s, ", ");
                bool on = true;
                const char *name = s;

                if (len > 0 && (*name == '-' || *name == '+')) {
                        on = *name == '+';
                        name++;
                        len--;
                }
                if (len > 0 && len <= NAME_MAX_LEN && n_rules < MAX_RULES) {
                        memcpy(rules[n_rules].name, name, len);
                        rules[n_rules].name[len] = 0;
                        rules[n_rules].on = on;
                        n_rules++;
                }
                s = name + len;
                s += strspn(s, ", ");
        }
        if (!target_forced)
                target = t && strcasecmp(t, "syslog") == 0 ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR;
}

bool log_channel_decide_(struct log_channel *ch) {
        unsigned gen;
        bool on = false;

        pthread_mutex_lock(&lock);
        gen = atomic_load(&log_generation_);
        if (parsed_generation != gen) {
                parse_env();
                parsed_generation = gen;
        }
        for (size_t i = 0; i < n_rules; i++)
                if (strcmp(rules[i].name, "all") == 0 || strcasecmp(rules[i].name, ch->name) == 0)
                        on = rules[i].on;
        atomic_store(&ch->state, gen << 1 | (on ? 1u : 0u));
        pthread_mutex_unlock(&lock);
        return on;
}

void log_reload(void) {
        atomic_fetch_add(&log_generation_, 1);
}

void log_set_target(enum log_target t) {
        pthread_mutex_lock(&lock);
        target = t;
        target_forced = true;
        pthread_mutex_unlock(&lock);
}

/*
 * systemd connects a service's stderr to the journal and says so in JOURNAL_STREAM,
 * "DEV:INODE" of that stream (systemd.exec(5)); the variable may be inherited by a
 * process whose stderr was redirected since, hence the comparison with fstat().
 */
bool log_stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char tail;

        if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static char service_name[64] = "opendcom";
static bool service_pid;

void log_service_init(const char *name, bool with_pid) {
        snprintf(service_name, sizeof service_name, "%s", name);
        service_pid = with_pid;
}

static void open_syslog(void) {
        if (!syslog_open) {
                openlog(service_name, LOG_PID, LOG_DAEMON);
                syslog_open = true;
        }
}

void log_service(int priority, const char *fmt, ...) {
        char line[1100];
        size_t n = 0;
        int r, saved_errno = errno;
        va_list ap;

        pthread_mutex_lock(&lock);
        if (parsed_generation != atomic_load(&log_generation_)) {
                parse_env();
                parsed_generation = atomic_load(&log_generation_);
        }
        enum log_target t = target;
        if (t == LOG_TARGET_SYSLOG)
                open_syslog();
        pthread_mutex_unlock(&lock);

        if (t != LOG_TARGET_SYSLOG) {
                /* sd-daemon(3): "<N>" first, N the syslog priority */
                if (log_stderr_is_journal())
                        r = snprintf(line, sizeof line, "<%d>", priority & LOG_PRIMASK);
                else
                        r = 0;
                n = r > 0 ? (size_t)r : 0;
                if (service_pid)
                        r = snprintf(line + n, sizeof line - n, "%s[%d]: ", service_name,
                                     (int)getpid());
                else
                        r = snprintf(line + n, sizeof line - n, "%s: ", service_name);
                n += r > 0 ? (size_t)r : 0;
        }
        va_start(ap, fmt);
        errno = saved_errno;
        r = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        if (r > 0)
                n = n + (size_t)r < sizeof line - 1 ? n + (size_t)r : sizeof line - 2;
        /* one event, one line: a newline inside (a peer's name, a path) would forge one */
        for (size_t i = 0; i < n; i++)
                if (line[i] == '\n' || line[i] == '\r')
                        line[i] = ' ';
        if (t == LOG_TARGET_SYSLOG) {
                line[n] = 0;
                syslog(priority, "%s", line);
        } else {
                line[n++] = '\n';
                (void)!write(STDERR_FILENO, line, n);   /* one write: no interleaving */
        }
        errno = saved_errno;
}

void log_printf_(struct log_channel *ch, const char *func, const char *fmt, ...) {
        char line[1024];
        struct timespec ts;
        struct tm tm;
        size_t n;
        int r, saved_errno = errno;     /* callers log between a failure and its errno */
        va_list ap;

        if (target == LOG_TARGET_SYSLOG) {
                n = 0;
        } else if (log_stderr_is_journal()) {
                n = (size_t)snprintf(line, sizeof line, "<%d>", LOG_DEBUG);   /* journal: no time */
        } else {
                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
                r = snprintf(line + n, sizeof line - n, ".%06ldZ ", ts.tv_nsec / 1000);
                n += r > 0 ? (size_t)r : 0;
        }
        r = snprintf(line + n, sizeof line - n, "[%d] %s: %s: ", (int)gettid(), ch->name, func);
        if (r > 0)
                n = n + (size_t)r < sizeof line ? n + (size_t)r : sizeof line - 1;
        va_start(ap, fmt);
        errno = saved_errno;
        r = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        if (r > 0)
                n = n + (size_t)r < sizeof line - 1 ? n + (size_t)r : sizeof line - 2;
        if (n > 0 && line[n - 1] == '\n')
                n--;

        if (target == LOG_TARGET_SYSLOG) {
                line[n] = 0;
                pthread_mutex_lock(&lock);
                open_syslog();
                pthread_mutex_unlock(&lock);
                syslog(LOG_DEBUG, "%s", line);
        } else {
                line[n++] = '\n';
                (void)!write(STDERR_FILENO, line, n);
        }
        errno = saved_errno;
}
