/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Debug logging to named channels.  Libraries never print (STYLE.md section 3): they
 * log to a channel such as "rpc" or "ndr", and channels are off unless named in
 * DCOM_DEBUG ("rpc,ndr", "all", "all,-ndr").  Lines carry a UTC timestamp with
 * microseconds, the thread id and the channel, and go to stderr, or to syslog when
 * DCOM_LOG=syslog (daemons may also call log_set_target()).
 *
 *      static LOG_CHANNEL(rpc);
 *      log_debug(rpc, "bind from %s: %d contexts", peer, n);
 *
 * A disabled channel costs one relaxed atomic load and a compare per log_debug().
 *
 * Services (rpcss, dcomlaunch, dcomsurrogate) also log events -- a start, a stop, an
 * error, a refusal -- with log_service(priority, ...): one line "NAME: message" on
 * stderr, or under systemd, when stderr is the journal (JOURNAL_STREAM names it), the
 * line starts with the syslog priority as sd-daemon(3) defines it ("<3>" for LOG_ERR)
 * so that the journal keeps the priority; debug lines then carry "<7>" and no timestamp
 * (the journal has its own).  DCOM_LOG=syslog sends both kinds to syslog(3) instead.
 */
#ifndef DCOM_BASE_LOG_H
#define DCOM_BASE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <syslog.h>     /* LOG_ERR ... for log_service() */

struct log_channel {
        const char *name;
        atomic_uint state;      /* generation << 1 | enabled; generation 0 = undecided */
};

enum log_target {
        LOG_TARGET_STDERR,
        LOG_TARGET_SYSLOG,
};

#define LOG_CHANNEL(var) struct log_channel log_channel_##var = { #var, 0 }

extern atomic_uint log_generation_;
bool log_channel_decide_(struct log_channel *ch);

static inline bool log_enabled(struct log_channel *ch) {
        unsigned s = atomic_load_explicit(&ch->state, memory_order_relaxed);

        if ((s >> 1) == atomic_load_explicit(&log_generation_, memory_order_relaxed))
                return s & 1;
        return log_channel_decide_(ch);
}

void log_printf_(struct log_channel *ch, const char *func, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_debug(var, ...)                                                             \
        do {                                                                            \
                if (log_enabled(&log_channel_##var))                                    \
                        log_printf_(&log_channel_##var, __func__, __VA_ARGS__);         \
        } while (0)

/*
 * Re-reads DCOM_DEBUG and DCOM_LOG (for daemons on SIGHUP, and for tests).  Channels
 * pick up the change at their next use.
 */
void log_reload(void);
void log_set_target(enum log_target t);

/*
 * The service's name for its lines ("rpcss"); with_pid adds "[PID]" on stderr (a
 * process whose stderr is another's log).  Call once, before the first log_service().
 */
void log_service_init(const char *name, bool with_pid);
/* One event at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO ...), one line. */
void log_service(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether stderr is the journal's stream (JOURNAL_STREAM is "DEV:INODE" of stderr). */
bool log_stderr_is_journal(void);

#endif /* DCOM_BASE_LOG_H */
