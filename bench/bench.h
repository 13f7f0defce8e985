/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark harness.  A bench program creates one struct bench from its command
 * line, measures a few entries with bench_run() and ends with bench_finish().  Each
 * entry is a callback timed over many samples after a warm-up; the harness prints
 * median, p99 and throughput, one aligned row per entry, and the ratio of the entry's
 * median to the median of a baseline measured earlier in the same run.  The baselines
 * are the raw-socket floors (bench_floor_tcp(), bench_floor_unix()): absolute numbers
 * on shared 2-core VMs drift from run to run, ratios against a floor taken minutes
 * apart on the same machine do not drift nearly as much -- and an entry measured in
 * turns with its floor (bench_spec.pair) drifts least: both see the same seconds.
 *
 * Only libc and pthreads: a benchmark must measure our code, not a framework.
 *
 * Typical use (an RPC null-call benchmark):
 *
 *     struct bench *b = bench_new(argc, argv, "RPC null call over ncacn_ip_tcp");
 *     bench_floor_tcp(b, 64, NULL);
 *     if (bench_enabled(b, "rpc-null-tcp")) {
 *             ... start a server with bench_fork(), connect ...
 *             bench_run(b, &(struct bench_spec){ .name = "rpc-null-tcp", .fn = null_call,
 *                                                .ctx = &c, .baseline = "floor-tcp-64B" }, NULL);
 *             ... tear down, bench_reap() ...
 *     }
 *     return bench_finish(b);
 *
 * which prints, among the rows, "rpc-null-tcp ... 1.80x floor-tcp-64B".
 */
#ifndef DCOM_BENCH_H
#define DCOM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Entry names, e.g. "floor-tcp-64B", are at most this long including the NUL. */
#define BENCH_NAME_MAX 64

/*
 * Blocking socket operations in the floors and in bench_read_full()/bench_write_full()
 * give up after this long (SO_RCVTIMEO/SO_SNDTIMEO), so a lost peer fails the entry
 * instead of hanging the run.
 */
#define BENCH_IO_TIMEOUT_MS 10000

struct bench;

/*
 * One timed operation.  fn performs n operations (n >= 1) and returns 0, or a negative
 * errno that stops the entry and marks the run failed.  The harness calls fn with n =
 * `batch` per timed sample; batch = 0 picks it during warm-up so that one sample lasts
 * at least ~2 us, which keeps the cost of reading the clock (~20 ns) near 1% for tiny
 * operations such as an NDR push.  For operations that take microseconds the batch
 * stays 1 and every sample is one operation.
 */
typedef int (*bench_fn)(void *ctx, uint64_t n);

struct bench_spec {
        const char *name;       /* unique in the run; [A-Za-z0-9._-], < BENCH_NAME_MAX */
        bench_fn fn;
        void *ctx;
        size_t bytes;           /* payload bytes per operation, for MB/s; 0: no MB/s */
        uint64_t batch;         /* operations per timed sample; 0: automatic */
        const char *baseline;   /* earlier entry to print a ratio against, or NULL */
        /* Called before each call of fn, untimed: what an operation needs and is not
           (waiting for the previous one's process to be gone).  NULL: nothing. */
        int (*prepare)(void *ctx);
        /* Measured in turns with this entry (a floor whose server is still up), 20 ms
           each, rather than against a baseline taken earlier: the ratio is then of two
           medians taken in the same seconds, which a busy machine shifts alike.  The
           pair is not a row of its own; the row gives its median.  baseline, if set,
           must name the same entry.  NULL: not paired. */
        const struct bench_spec *pair;
};

struct bench_result {
        char name[BENCH_NAME_MAX];
        char baseline[BENCH_NAME_MAX];  /* "" when none was asked for */
        uint64_t ops;           /* operations measured (warm-up excluded) */
        uint64_t samples;       /* timed samples, each of `batch` operations */
        uint64_t batch;
        size_t bytes;
        /* Per operation, in nanoseconds; a batched sample counts as batch equal operations. */
        double min_ns;
        double median_ns;
        double p99_ns;
        double mean_ns;
        double ops_per_sec;     /* ops / total measured time */
        double mb_per_sec;      /* bytes * ops_per_sec / 1e6; 0 when bytes == 0 */
        double ratio;           /* median_ns / baseline_median_ns; 0 when no baseline */
        bool paired;            /* the baseline was measured in turns with this entry */
        double baseline_median_ns;      /* the baseline's median the ratio is taken against */
        double baseline_p99_ns;         /* paired only: the baseline's p99 in the same turns */
};

/*
 * Parses the harness options (see --help) and applies --pin to the calling process,
 * which every thread and child it later creates inherits.  Tool-style: prints usage
 * and exits 0 on --help, prints the error and exits 2 on a bad option, exits 1 when
 * out of memory or when pinning fails.  Prints a header line describing the run.
 */
struct bench *bench_new(int argc, char **argv, const char *about);

/*
 * Writes --json if asked, frees b, and returns the process exit status: 0 when every
 * entry succeeded, 1 otherwise.
 */
int bench_finish(struct bench *b);

/* Marks the run failed (bench_finish returns 1): an entry that could not run at all. */
void bench_fail(struct bench *b);

/*
 * Whether --filter selects this entry name (comma-separated substrings; no filter
 * selects all).  Check it before an expensive setup such as forking a server.
 * A baseline is not run implicitly: `--filter rpc` runs no floor and prints no ratio,
 * `--filter floor-tcp,rpc` does.
 */
bool bench_enabled(const struct bench *b, const char *name);

/*
 * Measures one entry and prints its row.  Returns 0 (ret_result, if not NULL, points
 * at the result, valid until bench_finish()), 0 with *ret_result = NULL when the
 * filter skipped it, or a negative errno when fn failed (the row says so, and
 * bench_finish() will return 1).  -EINVAL for a bad spec or a duplicate name.
 */
int bench_run(struct bench *b, const struct bench_spec *spec,
              const struct bench_result **ret_result);

/* The result of an entry measured earlier in this run, or NULL. */
const struct bench_result *bench_find(const struct bench *b, const char *name);

/*
 * The floors: ping-pong of `msg`-byte messages with a forked echo server over
 * loopback TCP (127.0.0.1, ephemeral port, TCP_NODELAY) and over a Unix stream socket
 * (autobound abstract address: nothing to clean up in the filesystem).  One round trip
 * is: client writes msg bytes, server reads msg and writes them back, client reads
 * msg.  Entry names are "floor-tcp-<size>" and "floor-unix-<size>" with the size
 * written by bench_size_name() (64 -> "64B").  `baseline` as in bench_spec, may be NULL.
 * Return as bench_run(); the server is reaped by PID before returning.
 */
int bench_floor_tcp(struct bench *b, size_t msg, const char *baseline);
int bench_floor_unix(struct bench *b, size_t msg, const char *baseline);

/*
 * A floor kept up for the run, to measure entries in turns with (bench_spec.pair):
 * bench_floor_open() forks its server, connects and measures its row as the two above
 * do (when --filter selects it; the server is started anyway when it selects one of the
 * comma-separated `entries` the floor is for, and not at all otherwise).  Open floors
 * before the connections under test, as bench_fork() explains, and close them last, in
 * the reverse order of opening: a later child holds an earlier floor's connection.
 * *ret is set even on failure (bench_floor_pair() then answers NULL) and must be closed.
 */
struct bench_floor;
/* req bytes out and the first resp (0 < resp <= req) of them back per round trip:
   "floor-tcp-64B" when they are equal, else "floor-tcp-72B-36B". */
int bench_floor_open(struct bench *b, bool tcp, size_t req, size_t resp, const char *entries,
                     struct bench_floor **ret);
/* The spec to pair with, or NULL when the floor is not up (the entry then runs alone). */
const struct bench_spec *bench_floor_pair(const struct bench_floor *f);
/* Closes the connection, reaps the server and frees f (NULL: nothing); as bench_reap. */
int bench_floor_close(struct bench *b, struct bench_floor *f);

/* memcpy of `size` bytes between two warm buffers: "memcpy-<size>", the marshaling ceiling. */
int bench_memcpy(struct bench *b, size_t size, const char *baseline);

/*
 * Writes "<prefix>-<size>" into buf (at least BENCH_NAME_MAX bytes), the size as
 * "64B", "4KiB" or "1MiB" when exact; returns buf.
 */
char *bench_size_name(char *buf, const char *prefix, size_t size);

/*
 * Forks a server: the child applies the server CPU of --pin, dies with the parent
 * (PR_SET_PDEATHSIG), runs fn(ctx) and exits 0 if it returned >= 0, else 1.  The
 * harness remembers the PID so a run killed by its --timeout watchdog kills the child
 * too.  Create listening sockets before forking so the parent can connect at once.
 * Fork from the main thread before starting others: PR_SET_PDEATHSIG fires when the
 * forking *thread* exits, and a child forked while another thread holds a lock (stdio,
 * malloc) may deadlock.  The child inherits every open fd (SOCK_CLOEXEC does not help
 * without exec), so a connection open in the parent will not see EOF when only the
 * parent closes it: measure the floors before opening the connections under test.
 */
int bench_fork(struct bench *b, int (*fn)(void *ctx), void *ctx, pid_t *ret_pid);

/*
 * Reaps a child from bench_fork(): waits up to 2 s for it to exit (close its
 * connection first so it sees EOF), then SIGKILLs it.  Returns 0 if it exited with
 * status 0, -ECHILD-style negative errno on a wait failure, -EPROTO if it failed or
 * had to be killed.
 */
int bench_reap(struct bench *b, pid_t pid);

/* Socket helpers for bench servers and clients. */
int bench_set_io_timeout(int fd, unsigned ms);
/* Full read/write, retrying on EINTR and short counts; -ETIMEDOUT past the fd's
 * SO_RCVTIMEO/SO_SNDTIMEO, -ECONNRESET on EOF before n bytes, else -errno.  Writes use
 * MSG_NOSIGNAL on sockets so a dead peer is an error, not SIGPIPE. */
int bench_read_full(int fd, void *buf, size_t n);
int bench_write_full(int fd, const void *buf, size_t n);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif /* DCOM_BENCH_H */
