/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark harness (see bench.h): option parsing and CPU pinning, the timing loop
 * with warm-up and automatic batching, the statistics and the printed table, the
 * --timeout watchdog, forked servers, and the raw-socket floors every RPC benchmark is
 * compared with.  Bench programs are tools: errors are printed here, one line each.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* A sample should last this long so the clock read (~20 ns) stays near 1% of it. */
#define BATCH_TARGET_NS 2000u
#define BATCH_MAX (UINT64_C(1) << 20)
/* 32 MiB of samples at most; a run that fills them stops early rather than realloc forever. */
#define MAX_SAMPLES (UINT64_C(1) << 22)
#define MAX_CHILDREN 16
/* An entry and its pair (bench_spec.pair) take turns of this long. */
#define PAIR_SLICE_NS UINT64_C(20000000)
#define REAP_WAIT_MS 2000

struct bench {
        const char *prog;
        uint64_t iterations;            /* 0: no bound on operations */
        double seconds;                 /* 0: no bound on time */
        double warmup;
        unsigned timeout;               /* watchdog per entry, s; 0: derived */
        int pin_client, pin_server;     /* -1: not pinned */
        char *filter;                   /* comma-separated substrings, or NULL */
        const char *json_path;
        const char *tcp_cc;             /* --tcp-cc: a private network namespace's, or NULL */
        struct bench_result **results;
        size_t n_results, cap_results;
        bool failed;
};

/*
 * The watchdog's state lives in statics because a signal handler reads it.  One
 * struct bench per process is the only sensible use anyway.
 */
static volatile pid_t watch_pids[MAX_CHILDREN];
static char watch_name[BENCH_NAME_MAX];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
        va_list ap;

        fflush(stdout);
        fputs("bench: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

uint64_t bench_now_ns(void) {
        struct timespec ts;

        /* CLOCK_MONOTONIC cannot fail with a valid pointer; no error path to take. */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* --- watchdog ---------------------------------------------------------------------- */

static void write_str(const char *s) {
        /* In a signal handler: write(2) only, and nothing to do if it fails. */
        if (write(STDERR_FILENO, s, strlen(s)) < 0) {
        }
}

static void on_alarm(int sig) {
        (void)sig;
        write_str("bench: entry '");
        write_str(watch_name);
        write_str("' exceeded its --timeout; killing its servers and exiting\n");
        for (size_t i = 0; i < MAX_CHILDREN; i++)
                if (watch_pids[i] > 0)
                        kill(watch_pids[i], SIGKILL);
        _exit(3);
}

static unsigned entry_timeout(const struct bench *b) {
        if (b->timeout > 0)
                return b->timeout;
        if (b->seconds > 0)
                return (unsigned)(b->warmup + b->seconds) + 60;
        return 600;
}

/* --- options ----------------------------------------------------------------------- */

static _Noreturn void usage(const char *prog, const char *about, int status) {
        FILE *f = status == 0 ? stdout : stderr;

        fprintf(f,
                "usage: %s [options]\n"
                "%s%s"
                "options:\n"
                "  -n, --iterations N     measure N operations per entry (after warm-up)\n"
                "  -s, --seconds S        measure each entry for S seconds (default 1,\n"
                "                         or unbounded when only --iterations is given)\n"
                "      --warmup S         warm-up per entry, not measured (default 0.05)\n"
                "  -p, --pin CPU[,SCPU]   pin this process and its threads to CPU, and forked\n"
                "                         servers to SCPU (default: the same CPU).  One CPU for\n"
                "                         both sides avoids cross-core wake-ups, which dominate\n"
                "                         and vary on 2-core VMs: ratios get stable\n"
                "  -f, --filter LIST      run only entries whose name contains one of the\n"
                "                         comma-separated substrings (include the floor to get\n"
                "                         ratios: --filter floor-tcp,rpc)\n"
                "      --json FILE        also write the results to FILE as JSON\n"
                "      --tcp-cc NAME      run in a private network namespace (root) whose TCP\n"
                "                         congestion control is NAME (cubic, reno...), servers\n"
                "                         and floors alike.  Under BBR, loopback bulk entries\n"
                "                         and their floors each change by up to 2x from run to\n"
                "                         run; compare them under cubic\n"
                "      --timeout S        kill the run if one entry takes longer than S seconds\n"
                "                         (default: warm-up + --seconds + 60, or 600);\n"
                "                         twice S for an entry measured in turns with its floor\n"
                "  -h, --help             show this help\n",
                prog, about ? about : "", about ? "\n" : "");
        exit(status);
}

static _Noreturn void bad_option(const char *prog, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static _Noreturn void bad_option(const char *prog, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, " (see --help)\n");
        exit(2);
}

static bool parse_u64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return false;
        *ret = v;
        return true;
}

static bool parse_seconds(const char *s, double *ret) {
        char *end;
        double v;

        if (!s || !*s)
                return false;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > 86400)
                return false;
        *ret = v;
        return true;
}

static bool parse_cpu(const char *s, int *ret) {
        uint64_t v;

        if (!parse_u64(s, &v) || v >= CPU_SETSIZE)
                return false;
        *ret = (int)v;
        return true;
}

static int pin_to(int cpu) {
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET((size_t)cpu, &set);
        /* pid 0 is the calling thread; threads and children created later inherit it. */
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                return -errno;
        return 0;
}

static void check_cpu_allowed(const char *prog, const cpu_set_t *set, int cpu) {
        if (!CPU_ISSET((size_t)cpu, set)) {
                fprintf(stderr, "%s: --pin: CPU %d is not available to this process "
                        "(%d allowed; see nproc, taskset -p $$)\n", prog, cpu, CPU_COUNT(set));
                exit(2);
        }
}

/*
 * --tcp-cc: this process and all it starts from now on get a network namespace of their
 * own, its loopback up and its TCP congestion control cc -- for every connection, the
 * library's and the floors' alike, from their first byte (setting it on a connection
 * once established leaves BBR's pacing behind).  0, or a negative errno and in *step
 * what failed.
 */
static int private_net(const char *cc, const char **step) {
        struct ifreq ifr = { 0 };
        int fd, r = 0;

        *step = "a network namespace of its own (unshare)";
        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        *step = "its loopback interface up";
        if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
                return -errno;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        ifr.ifr_flags |= IFF_UP;
        if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                r = -errno;
        close(fd);
        if (r < 0)
                return r;
        /* (/proc/sys/net is the namespace of whoever opens it: this new one) */
        *step = "its net.ipv4.tcp_congestion_control";
        FILE *f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "we");
        if (!f)
                return -errno;
        if (fputs(cc, f) < 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

/* `usable`: CPUs the process could run on before --pin narrowed them to one. */
static void print_header(const struct bench *b, const char *about, int usable) {
        char pin[64], bound[96];
        uint64_t t0, t1;

        if (b->pin_client < 0)
                snprintf(pin, sizeof(pin), "not pinned");
        else
                snprintf(pin, sizeof(pin), "pinned: client CPU %d, server CPU %d",
                         b->pin_client, b->pin_server);
        if (b->iterations > 0 && b->seconds > 0)
                snprintf(bound, sizeof(bound), "%" PRIu64 " ops or %.2f s", b->iterations,
                         b->seconds);
        else if (b->iterations > 0)
                snprintf(bound, sizeof(bound), "%" PRIu64 " ops", b->iterations);
        else
                snprintf(bound, sizeof(bound), "%.2f s", b->seconds);

        /* The clock's own cost, so readers can judge the smallest numbers below. */
        t0 = bench_now_ns();
        for (int i = 0; i < 1000; i++)
                (void)bench_now_ns();
        t1 = bench_now_ns();

        printf("# %s%s%s\n", b->prog, about ? ": " : "", about ? about : "");
        printf("# %ld CPUs online, %d usable; %s; %s per entry after %.2f s warm-up; "
               "clock read %.0f ns\n",
               sysconf(_SC_NPROCESSORS_ONLN), usable, pin, bound, b->warmup,
               (double)(t1 - t0) / 1001.0);
        /* BBR on loopback paces some connections and not others: a bulk entry and its
           floor can each change by 2x from run to run (cubic does not) */
        FILE *cc = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "re");
        char alg[32] = "";
        if (cc) {
                if (fgets(alg, sizeof(alg), cc))
                        alg[strcspn(alg, "\n")] = '\0';
                fclose(cc);
        }
        if (alg[0])
                printf("# TCP congestion control: %s%s%s\n", alg,
                       b->tcp_cc ? " (a private network namespace: --tcp-cc)" : "",
                       strcmp(alg, "bbr") || b->tcp_cc ? "" : " (bulk TCP entries vary by up "
                                                              "to 2x between runs: compare "
                                                              "them under --tcp-cc cubic)");
        printf("%-22s %10s %10s %10s %12s %10s  %s\n",
               "entry", "ops", "median", "p99", "ops/s", "MB/s", "median vs baseline");
        fflush(stdout);
}

struct bench *bench_new(int argc, char **argv, const char *about) {
        static const struct option options[] = {
                { "iterations", required_argument, NULL, 'n' },
                { "seconds",    required_argument, NULL, 's' },
                { "warmup",     required_argument, NULL, 'W' },
                { "pin",        required_argument, NULL, 'p' },
                { "filter",     required_argument, NULL, 'f' },
                { "json",       required_argument, NULL, 'J' },
                { "tcp-cc",     required_argument, NULL, 'C' },
                { "timeout",    required_argument, NULL, 'T' },
                { "help",       no_argument,       NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        struct bench *b;
        const char *prog;
        bool seconds_set = false;
        struct sigaction sa = { .sa_handler = on_alarm };
        cpu_set_t allowed;
        int c;

        prog = argc > 0 && argv[0] ? argv[0] : "bench";
        if (strrchr(prog, '/'))
                prog = strrchr(prog, '/') + 1;

        b = calloc(1, sizeof(*b));
        if (!b) {
                fprintf(stderr, "%s: out of memory\n", prog);
                exit(1);
        }
        b->prog = prog;
        b->warmup = 0.05;
        b->pin_client = b->pin_server = -1;

        /* Our own one-line messages rather than getopt's plus a full usage. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":n:s:p:f:h", options, NULL)) != -1) {
                uint64_t v;
                char *comma;

                switch (c) {
                case 'n':
                        if (!parse_u64(optarg, &b->iterations) || b->iterations == 0)
                                bad_option(prog, "--iterations wants a positive integer, not '%s'",
                                           optarg);
                        break;
                case 's':
                        if (!parse_seconds(optarg, &b->seconds) || b->seconds == 0)
                                bad_option(prog, "--seconds wants a positive number, not '%s'",
                                           optarg);
                        seconds_set = true;
                        break;
                case 'W':
                        if (!parse_seconds(optarg, &b->warmup))
                                bad_option(prog, "--warmup wants a number of seconds, not '%s'",
                                           optarg);
                        break;
                case 'p':
                        comma = strchr(optarg, ',');
                        if (comma)
                                *comma = '\0';
                        if (!parse_cpu(optarg, &b->pin_client) ||
                            (comma && !parse_cpu(comma + 1, &b->pin_server)))
                                bad_option(prog, "--pin wants CPU or CPU,SERVER_CPU (numbers below %d)",
                                           CPU_SETSIZE);
                        if (!comma)
                                b->pin_server = b->pin_client;
                        break;
                case 'f':
                        free(b->filter);
                        b->filter = strdup(optarg);
                        if (!b->filter) {
                                fprintf(stderr, "%s: out of memory\n", prog);
                                exit(1);
                        }
                        break;
                case 'J':
                        b->json_path = optarg;
                        break;
                case 'C':
                        /* TCP_CA_NAME_MAX is 16 with its NUL */
                        if (!*optarg || strlen(optarg) > 15 || strchr(optarg, '/'))
                                bad_option(prog, "--tcp-cc wants an algorithm's name, not '%s'",
                                           optarg);
                        b->tcp_cc = optarg;
                        break;
                case 'T':
                        if (!parse_u64(optarg, &v) || v == 0 || v > 86400)
                                bad_option(prog, "--timeout wants seconds in 1..86400, not '%s'",
                                           optarg);
                        b->timeout = (unsigned)v;
                        break;
                case 'h':
                        usage(prog, about, 0);
                case ':':
                        bad_option(prog, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        bad_option(prog, "unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind < argc)
                bad_option(prog, "unexpected argument '%s'", argv[optind]);
        if (!seconds_set && b->iterations == 0)
                b->seconds = 1.0;

        if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
                fprintf(stderr, "%s: reading the CPU affinity failed: %s\n", prog, strerror(errno));
                exit(1);
        }
        if (b->pin_client >= 0) {
                int r;

                check_cpu_allowed(prog, &allowed, b->pin_client);
                check_cpu_allowed(prog, &allowed, b->pin_server);
                r = pin_to(b->pin_client);
                if (r < 0) {
                        fprintf(stderr, "%s: pinning to CPU %d failed: %s\n", prog, b->pin_client,
                                strerror(-r));
                        exit(1);
                }
        }

        if (b->tcp_cc) {
                const char *step = "";
                int r = private_net(b->tcp_cc, &step);
                if (r < 0) {
                        bool sysctl = strstr(step, "tcp_congestion_control") != NULL;
                        fprintf(stderr, "%s: --tcp-cc %s: %s: %s\n", prog, b->tcp_cc, step,
                                sysctl && r == -ENOENT ? "not an available algorithm (net.ipv4."
                                                         "tcp_available_congestion_control)"
                                : sysctl && r == -EPERM ? "not one a namespace may choose (net."
                                                          "ipv4.tcp_allowed_congestion_control)"
                                : !sysctl && r == -EPERM ? "needs root (CAP_SYS_ADMIN)"
                                : strerror(-r));
                        exit(1);
                }
        }

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0) {
                fprintf(stderr, "%s: installing the watchdog failed: %s\n", prog, strerror(errno));
                exit(1);
        }

        print_header(b, about, CPU_COUNT(&allowed));
        return b;
}

/* --- results ----------------------------------------------------------------------- */

bool bench_enabled(const struct bench *b, const char *name) {
        const char *p;

        if (!b->filter || !*b->filter)
                return true;
        for (p = b->filter; *p;) {
                size_t len = strcspn(p, ",");

                if (len > 0) {
                        /* A substring search bounded by this element of the list. */
                        for (const char *s = name; strlen(s) >= len; s++)
                                if (strncmp(s, p, len) == 0)
                                        return true;
                }
                p += len;
                if (*p == ',')
                        p++;
        }
        return false;
}

const struct bench_result *bench_find(const struct bench *b, const char *name) {
        for (size_t i = 0; i < b->n_results; i++)
                if (strcmp(b->results[i]->name, name) == 0)
                        return b->results[i];
        return NULL;
}

static bool valid_name(const char *name) {
        size_t len;

        if (!name)
                return false;
        len = strlen(name);
        if (len == 0 || len >= BENCH_NAME_MAX)
                return false;
        /* Names go unquoted into --filter, the table and JSON: keep them plain. */
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789._-") == len;
}

static void fmt_ns(char *buf, size_t size, double ns) {
        if (ns < 1e3)
                snprintf(buf, size, "%.1f ns", ns);
        else if (ns < 1e6)
                snprintf(buf, size, "%.2f us", ns / 1e3);
        else if (ns < 1e9)
                snprintf(buf, size, "%.2f ms", ns / 1e6);
        else
                snprintf(buf, size, "%.2f s", ns / 1e9);
}

static void print_row(const struct bench_result *r) {
        char med[32], p99[32], mbs[32], bmed[32], vs[BENCH_NAME_MAX + 64];

        fmt_ns(med, sizeof(med), r->median_ns);
        fmt_ns(bmed, sizeof(bmed), r->baseline_median_ns);
        fmt_ns(p99, sizeof(p99), r->p99_ns);
        if (r->bytes > 0)
                snprintf(mbs, sizeof(mbs), "%.1f", r->mb_per_sec);
        else
                snprintf(mbs, sizeof(mbs), "-");
        if (r->ratio > 0 && r->paired)
                snprintf(vs, sizeof(vs), "%.2fx %s in turns (%s)", r->ratio, r->baseline, bmed);
        else if (r->ratio > 0)
                snprintf(vs, sizeof(vs), "%.2fx %s", r->ratio, r->baseline);
        else if (r->baseline[0])
                snprintf(vs, sizeof(vs), "- (%s not measured)", r->baseline);
        else
                snprintf(vs, sizeof(vs), "-");
        printf("%-22s %10" PRIu64 " %10s %10s %12.0f %10s  %s\n",
               r->name, r->ops, med, p99, r->ops_per_sec, mbs, vs);
        fflush(stdout);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static void compute_stats(struct bench_result *r, uint64_t *samples, uint64_t n, uint64_t total_ns) {
        double batch = (double)r->batch;
        uint64_t p99_rank;

        qsort(samples, n, sizeof(*samples), cmp_u64);
        r->samples = n;
        r->min_ns = (double)samples[0] / batch;
        if (n % 2)
                r->median_ns = (double)samples[n / 2] / batch;
        else
                r->median_ns = ((double)samples[n / 2 - 1] + (double)samples[n / 2]) / 2.0 / batch;
        /* Nearest rank: the smallest sample with at least 99% of samples at or below it. */
        p99_rank = (n * 99 + 99) / 100;
        r->p99_ns = (double)samples[p99_rank - 1] / batch;
        if (total_ns == 0)
                total_ns = 1;
        r->mean_ns = (double)total_ns / (double)r->ops;
        r->ops_per_sec = (double)r->ops * 1e9 / (double)total_ns;
        r->mb_per_sec = r->bytes ? r->ops_per_sec * (double)r->bytes / 1e6 : 0;
}

static int grow_samples(uint64_t **samples, uint64_t *cap) {
        uint64_t ncap = *cap ? *cap * 2 : 4096;
        uint64_t *p;

        if (ncap > MAX_SAMPLES)
                ncap = MAX_SAMPLES;
        p = realloc(*samples, ncap * sizeof(*p));
        if (!p)
                return -ENOMEM;
        /* Fault the new pages in now, outside any timed sample. */
        memset(p + *cap, 0, (ncap - *cap) * sizeof(*p));
        *samples = p;
        *cap = ncap;
        return 0;
}

/* An untimed call: the spec's prepare, then fn. */
static int call_fn(const struct bench_spec *s, uint64_t n) {
        int r = s->prepare ? s->prepare(s->ctx) : 0;

        return r < 0 ? r : s->fn(s->ctx, n);
}

/* One entry's samples while they are taken. */
struct sampler {
        const struct bench_spec *s;
        struct bench_result *res;
        uint64_t batch;
        uint64_t *samples, cap, n, total;
        bool full;                      /* MAX_SAMPLES taken: no more */
};

/*
 * The untimed first call (page faults and cold caches are not the operation), then the
 * batch: the spec's, or doubled until a sample lasts BATCH_TARGET_NS.
 */
static int pick_batch(struct bench *b, struct sampler *sp) {
        const struct bench_spec *s = sp->s;
        uint64_t batch = s->batch, batch_max;
        int r;

        /* With a small --iterations keep ~100 samples rather than one huge batch. */
        batch_max = BATCH_MAX;
        if (b->iterations > 0 && b->iterations / 100 < batch_max)
                batch_max = b->iterations / 100 > 0 ? b->iterations / 100 : 1;

        r = call_fn(s, 1);
        if (r < 0)
                return r;
        if (batch == 0) {
                batch = 1;
                while (batch < batch_max) {
                        uint64_t best = UINT64_MAX;

                        /* Best of two, so one preemption does not stop the doubling early. */
                        for (int i = 0; i < 2; i++) {
                                uint64_t t0;

                                if (s->prepare && (r = s->prepare(s->ctx)) < 0)
                                        return r;
                                t0 = bench_now_ns();
                                r = s->fn(s->ctx, batch);
                                if (r < 0)
                                        return r;
                                t0 = bench_now_ns() - t0;
                                if (t0 < best)
                                        best = t0;
                        }
                        if (best >= BATCH_TARGET_NS)
                                break;
                        batch *= 2;
                }
                if (batch > batch_max)
                        batch = batch_max;
        }
        sp->batch = sp->res->batch = batch;
        return 0;
}

static int warm_up(const struct sampler *sp, uint64_t until) {
        while (bench_now_ns() < until) {
                int r = call_fn(sp->s, sp->batch);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Timed samples until the clock passes `end` or max_ops operations are measured in all;
 * the time spent is added to *spent.
 */
static int sample_until(struct sampler *sp, uint64_t end, uint64_t max_ops, uint64_t *spent) {
        const struct bench_spec *s = sp->s;
        uint64_t t = bench_now_ns(), start = t;
        int r = 0;

        while (sp->res->ops < max_ops && !sp->full) {
                uint64_t t1;

                if (sp->n == sp->cap) {
                        if (sp->cap == MAX_SAMPLES) {
                                sp->full = true;
                                break;
                        }
                        r = grow_samples(&sp->samples, &sp->cap);
                        if (r < 0)
                                break;
                        t = bench_now_ns();
                }
                if (s->prepare) {
                        if ((r = s->prepare(s->ctx)) < 0)
                                break;
                        t = bench_now_ns();
                }
                r = s->fn(s->ctx, sp->batch);
                if (r < 0)
                        break;
                t1 = bench_now_ns();
                sp->samples[sp->n++] = t1 - t;
                sp->total += t1 - t;
                sp->res->ops += sp->batch;
                t = t1;
                if (t >= end)
                        break;
        }
        *spent += bench_now_ns() - start;
        return r < 0 ? r : 0;
}

static int measure(struct bench *b, const struct bench_spec *s, struct bench_result *res) {
        struct sampler sp = { .s = s, .res = res };
        uint64_t max_ops = b->iterations > 0 ? b->iterations : UINT64_MAX, spent = 0;
        int r;

        r = pick_batch(b, &sp);
        if (r >= 0)
                r = warm_up(&sp, bench_now_ns() + (uint64_t)(b->warmup * 1e9));
        if (r >= 0)
                r = sample_until(&sp, b->seconds > 0 ? bench_now_ns() + (uint64_t)(b->seconds * 1e9)
                                                     : UINT64_MAX, max_ops, &spent);
        if (r >= 0 && sp.n > 0)
                compute_stats(res, sp.samples, sp.n, sp.total);
        free(sp.samples);
        return r;
}

/*
 * An entry and its pair taken in turns, PAIR_SLICE_NS each, until the entry has had its
 * --seconds or --iterations: whatever else runs on the machine meanwhile falls on both
 * alike, so their ratio holds where two entries measured seconds apart can differ by
 * half.  The pair's own operations are not bounded by --iterations.
 */
static int measure_paired(struct bench *b, const struct bench_spec *s, struct bench_result *res,
                          struct bench_result *pres) {
        struct sampler sp = { .s = s, .res = res }, pp = { .s = s->pair, .res = pres };
        uint64_t max_ops = b->iterations > 0 ? b->iterations : UINT64_MAX;
        uint64_t budget = b->seconds > 0 ? (uint64_t)(b->seconds * 1e9) : UINT64_MAX;
        uint64_t spent = 0, pspent = 0, warm;
        int r;

        if ((r = pick_batch(b, &pp)) < 0 || (r = pick_batch(b, &sp)) < 0)
                goto out;
        warm = (uint64_t)(b->warmup * 1e9 / 2);
        if ((r = warm_up(&pp, bench_now_ns() + warm)) < 0 ||
            (r = warm_up(&sp, bench_now_ns() + warm)) < 0)
                goto out;
        /* (either side's samples full: the turns end, so that none is measured alone) */
        while (res->ops < max_ops && spent < budget && !sp.full && !pp.full) {
                uint64_t slice = budget - spent < PAIR_SLICE_NS ? budget - spent : PAIR_SLICE_NS;

                if ((r = sample_until(&pp, bench_now_ns() + slice, UINT64_MAX, &pspent)) < 0 ||
                    (r = sample_until(&sp, bench_now_ns() + slice, max_ops, &spent)) < 0)
                        goto out;
        }
        if (sp.n > 0 && pp.n > 0) {
                compute_stats(res, sp.samples, sp.n, sp.total);
                compute_stats(pres, pp.samples, pp.n, pp.total);
        } else {
                r = -EINVAL;
        }
out:
        free(sp.samples);
        free(pp.samples);
        return r;
}

int bench_run(struct bench *b, const struct bench_spec *spec,
              const struct bench_result **ret_result) {
        struct bench_result *res;
        const struct bench_result *base = NULL;
        int r;

        if (ret_result)
                *ret_result = NULL;
        if (!spec || !spec->fn || !valid_name(spec->name) ||
            (spec->baseline && !valid_name(spec->baseline)) ||
            (spec->pair && (!spec->pair->fn || !valid_name(spec->pair->name) ||
                            spec->pair->pair || (spec->baseline &&
                                                 strcmp(spec->baseline, spec->pair->name))))) {
                say("bench_run: invalid spec (name '%s')", spec && spec->name ? spec->name : "");
                b->failed = true;
                return -EINVAL;
        }
        if (bench_find(b, spec->name)) {
                say("bench_run: entry '%s' measured twice", spec->name);
                b->failed = true;
                return -EINVAL;
        }
        if (!bench_enabled(b, spec->name))
                return 0;

        if (b->n_results == b->cap_results) {
                size_t ncap = b->cap_results ? b->cap_results * 2 : 16;
                struct bench_result **p = realloc(b->results, ncap * sizeof(*p));

                if (!p)
                        goto oom;
                b->results = p;
                b->cap_results = ncap;
        }
        res = calloc(1, sizeof(*res));
        if (!res)
                goto oom;
        snprintf(res->name, sizeof(res->name), "%s", spec->name);
        if (spec->baseline)
                snprintf(res->baseline, sizeof(res->baseline), "%s", spec->baseline);
        res->bytes = spec->bytes;

        snprintf(watch_name, sizeof(watch_name), "%s", spec->name);
        /* a paired entry runs its --seconds twice over, once in its own turns and once
           in its pair's: so does its watchdog */
        alarm(entry_timeout(b) * (spec->pair ? 2 : 1));
        if (spec->pair) {
                struct bench_result pres = { .bytes = spec->pair->bytes };

                snprintf(res->baseline, sizeof(res->baseline), "%s", spec->pair->name);
                r = measure_paired(b, spec, res, &pres);
                res->paired = true;
                res->baseline_median_ns = pres.median_ns;
                res->baseline_p99_ns = pres.p99_ns;
        } else {
                r = measure(b, spec, res);
        }
        alarm(0);
        if (r < 0) {
                printf("%-22s FAILED: %s\n", spec->name, strerror(-r));
                fflush(stdout);
                free(res);
                b->failed = true;
                return r;
        }

        if (!spec->pair && spec->baseline && (base = bench_find(b, spec->baseline)))
                res->baseline_median_ns = base->median_ns;
        if (res->baseline_median_ns > 0)
                res->ratio = res->median_ns / res->baseline_median_ns;
        b->results[b->n_results++] = res;
        print_row(res);
        if (ret_result)
                *ret_result = res;
        return 0;

oom:
        say("%s: out of memory", spec->name);
        b->failed = true;
        return -ENOMEM;
}

/* --- JSON and teardown ------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static int write_json(const struct bench *b) {
        FILE *f = fopen(b->json_path, "we");

        if (!f)
                return -errno;
        fputs("{\n  \"program\": ", f);
        json_string(f, b->prog);
        fprintf(f, ",\n  \"cpus_online\": %ld,\n  \"pin_client\": %d,\n  \"pin_server\": %d,\n"
                "  \"failed\": %s,\n  \"results\": [",
                sysconf(_SC_NPROCESSORS_ONLN), b->pin_client, b->pin_server,
                b->failed ? "true" : "false");
        for (size_t i = 0; i < b->n_results; i++) {
                const struct bench_result *r = b->results[i];

                fprintf(f, "%s\n    {\"name\": \"%s\", \"baseline\": \"%s\", \"ops\": %" PRIu64
                        ", \"samples\": %" PRIu64 ", \"batch\": %" PRIu64 ", \"bytes\": %zu"
                        ", \"min_ns\": %.1f, \"median_ns\": %.1f, \"p99_ns\": %.1f"
                        ", \"mean_ns\": %.1f, \"ops_per_sec\": %.1f, \"mb_per_sec\": %.3f"
                        ", \"ratio\": %.4f, \"paired\": %s, \"baseline_median_ns\": %.1f"
                        ", \"baseline_p99_ns\": %.1f}",
                        i ? "," : "", r->name, r->baseline, r->ops, r->samples, r->batch,
                        r->bytes, r->min_ns, r->median_ns, r->p99_ns, r->mean_ns,
                        r->ops_per_sec, r->mb_per_sec, r->ratio, r->paired ? "true" : "false",
                        r->baseline_median_ns, r->baseline_p99_ns);
        }
        fputs("\n  ]\n}\n", f);
        if (ferror(f)) {
                fclose(f);
                return -EIO;
        }
        if (fclose(f) != 0)
                return -errno;
        return 0;
}

void bench_fail(struct bench *b) {
        b->failed = true;
}

int bench_finish(struct bench *b) {
        int status;

        if (b->json_path) {
                int r = write_json(b);

                if (r < 0) {
                        say("writing %s failed: %s", b->json_path, strerror(-r));
                        b->failed = true;
                }
        }
        status = b->failed ? 1 : 0;
        for (size_t i = 0; i < b->n_results; i++)
                free(b->results[i]);
        free(b->results);
        free(b->filter);
        free(b);
        return status;
}

char *bench_size_name(char *buf, const char *prefix, size_t size) {
        if (size >= (1u << 20) && size % (1u << 20) == 0)
                snprintf(buf, BENCH_NAME_MAX, "%s-%zuMiB", prefix, size >> 20);
        else if (size >= 1024 && size % 1024 == 0)
                snprintf(buf, BENCH_NAME_MAX, "%s-%zuKiB", prefix, size >> 10);
        else
                snprintf(buf, BENCH_NAME_MAX, "%s-%zuB", prefix, size);
        return buf;
}

/* --- children ---------------------------------------------------------------------- */

int bench_fork(struct bench *b, int (*fn)(void *ctx), void *ctx, pid_t *ret_pid) {
        size_t slot;
        pid_t parent = getpid(), pid;

        for (slot = 0; slot < MAX_CHILDREN; slot++)
                if (watch_pids[slot] == 0)
                        break;
        if (slot == MAX_CHILDREN)
                return -EAGAIN;

        /* Or buffered output would be printed twice, once by each process. */
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int r;

                alarm(0);
                signal(SIGALRM, SIG_DFL);
                /* A server must not outlive a benchmark that crashed or was killed. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(1);
                if (b->pin_server >= 0) {
                        r = pin_to(b->pin_server);
                        if (r < 0) {
                                say("server: pinning to CPU %d failed: %s", b->pin_server,
                                    strerror(-r));
                                _exit(1);
                        }
                }
                r = fn(ctx);
                if (r < 0)
                        say("server: %s", strerror(-r));
                fflush(NULL);
                _exit(r < 0 ? 1 : 0);
        }
        watch_pids[slot] = pid;
        *ret_pid = pid;
        return 0;
}

static void forget_child(pid_t pid) {
        for (size_t i = 0; i < MAX_CHILDREN; i++)
                if (watch_pids[i] == pid)
                        watch_pids[i] = 0;
}

int bench_reap(struct bench *b, pid_t pid) {
        int status = 0;
        bool killed = false;
        pid_t w;

        (void)b;
        for (unsigned waited = 0;; waited++) {
                w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        forget_child(pid);
                        return -errno;
                }
                if (waited >= REAP_WAIT_MS) {
                        if (kill(pid, SIGKILL) < 0 && errno != ESRCH) {
                                forget_child(pid);
                                return -errno;
                        }
                        killed = true;
                        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                                ;
                        if (w < 0) {
                                forget_child(pid);
                                return -errno;
                        }
                        break;
                }
                sleep_ms(1);
        }
        forget_child(pid);
        if (killed) {
                say("server %d did not exit within %d ms; killed it", (int)pid, REAP_WAIT_MS);
                return -EPROTO;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (WIFSIGNALED(status))
                        say("server %d died of signal %d", (int)pid, WTERMSIG(status));
                else
                        say("server %d exited with status %d", (int)pid, WEXITSTATUS(status));
                return -EPROTO;
        }
        return 0;
}

/* --- socket helpers ---------------------------------------------------------------- */

int bench_set_io_timeout(int fd, unsigned ms) {
        struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

/* Reads until n bytes or EOF; returns the count read (short only at EOF) or -errno. */
static ssize_t read_upto(int fd, void *buf, size_t n) {
        size_t got = 0;

        while (got < n) {
                ssize_t k = read(fd, (char *)buf + got, n - got);

                if (k > 0) {
                        got += (size_t)k;
                        continue;
                }
                if (k == 0)
                        break;
                if (errno == EINTR)
                        continue;
                /* SO_RCVTIMEO expiry shows up as EAGAIN on a blocking socket. */
                return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
        }
        return (ssize_t)got;
}

int bench_read_full(int fd, void *buf, size_t n) {
        ssize_t k = read_upto(fd, buf, n);

        if (k < 0)
                return (int)k;
        return (size_t)k == n ? 0 : -ECONNRESET;
}

int bench_write_full(int fd, const void *buf, size_t n) {
        size_t done = 0;
        bool is_socket = true;

        while (done < n) {
                ssize_t k;

                if (is_socket)
                        k = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
                else
                        k = write(fd, (const char *)buf + done, n - done);
                if (k >= 0) {
                        done += (size_t)k;
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno == ENOTSOCK && is_socket) {
                        is_socket = false;
                        continue;
                }
                return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
        }
        return 0;
}

/* --- the floors -------------------------------------------------------------------- */

struct echo_server {
        int listen_fd;
        bool tcp;
        size_t req, resp;       /* resp <= req: the first resp bytes of each message back */
};

static int set_nodelay(int fd) {
        int one = 1;

        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
                return -errno;
        return 0;
}

/* The forked echo server: one connection, msg bytes in, the same bytes out, until EOF. */
static int echo_serve(void *ctx) {
        struct echo_server *e = ctx;
        struct pollfd pfd = { .fd = e->listen_fd, .events = POLLIN };
        uint8_t *buf = NULL;
        int fd, r;

        for (;;) {
                r = poll(&pfd, 1, BENCH_IO_TIMEOUT_MS);
                if (r > 0)
                        break;
                if (r == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
        while ((fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
                if (errno != EINTR)
                        return -errno;
        close(e->listen_fd);

        r = bench_set_io_timeout(fd, BENCH_IO_TIMEOUT_MS);
        if (r >= 0 && e->tcp)
                r = set_nodelay(fd);
        /* reads wait unbounded: a floor kept for pairing (bench_floor_open) idles between
           its entries as long as the run takes -- a dead parent kills this child, a hung
           one its watchdog */
        if (r >= 0) {
                struct timeval none = { 0, 0 };
                if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none)) < 0)
                        r = -errno;
        }
        if (r < 0)
                goto out;
        buf = malloc(e->req);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t k = read_upto(fd, buf, e->req);

                if (k == 0) {
                        r = 0;          /* the client closed between messages: done */
                        break;
                }
                if (k < 0 || (size_t)k != e->req) {
                        r = k < 0 ? (int)k : -ECONNRESET;
                        break;
                }
                r = bench_write_full(fd, buf, e->resp);
                if (r < 0)
                        break;
        }
out:
        free(buf);
        close(fd);
        return r;
}

static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        int err = 0, r;
        socklen_t elen = sizeof(err);

        if (connect(fd, sa, len) == 0)
                return 0;
        /* SO_SNDTIMEO bounds connect() itself; EINTR leaves it completing in the background. */
        if (errno == EAGAIN || errno == EWOULDBLOCK)
                return -ETIMEDOUT;
        if (errno != EINTR && errno != EINPROGRESS)
                return -errno;
        for (;;) {
                r = poll(&pfd, 1, BENCH_IO_TIMEOUT_MS);
                if (r > 0)
                        break;
                if (r == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                return -errno;
        return -err;
}

struct pingpong {
        int fd;
        size_t req, resp;       /* req bytes out, resp (<= req) back */
        uint8_t *buf;           /* req bytes */
        bool broken;            /* a round trip failed: the stream may be out of step */
};

static int pingpong_fn(void *ctx, uint64_t n) {
        struct pingpong *p = ctx;
        int r;

        for (uint64_t i = 0; i < n; i++) {
                r = bench_write_full(p->fd, p->buf, p->req);
                if (r >= 0)
                        r = bench_read_full(p->fd, p->buf, p->resp);
                if (r < 0) {
                        p->broken = true;
                        return r;
                }
        }
        return 0;
}

/* One round trip of a known pattern, so a floor never measures a broken echo. */
static int pingpong_check(struct pingpong *p) {
        uint8_t *want = malloc(p->req);
        int r;

        if (!want)
                return -ENOMEM;
        for (size_t i = 0; i < p->req; i++)
                want[i] = p->buf[i] = (uint8_t)(i * 31 + 7);
        r = pingpong_fn(p, 1);
        if (r >= 0 && memcmp(want, p->buf, p->resp) != 0)
                r = -EBADMSG;
        free(want);
        return r;
}

struct bench_floor {
        char name[BENCH_NAME_MAX];
        struct pingpong p;
        struct bench_spec spec;
        pid_t pid;
        bool up;                /* its server answers: pairable */
};

/*
 * Forks the echo server and connects to it; the floor's row is measured unless
 * `measure` is false (bench_floor_open for an entry the filter selects without it).
 * On failure the floor is not up and its server is reaped.
 */
static int floor_start(struct bench *b, bool tcp, const char *baseline, bool measure,
                       struct bench_floor *f) {
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        struct echo_server e = { .listen_fd = -1, .tcp = tcp, .req = f->p.req, .resp = f->p.resp };
        const char *what;
        int r;

        what = "socket";
        e.listen_fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (e.listen_fd < 0)
                goto fail_errno;
        if (tcp) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

                sin->sin_family = AF_INET;
                sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                sin->sin_port = 0;
                len = sizeof(*sin);
        } else {
                /* Just the family: the kernel autobinds a unique abstract name. */
                ss.ss_family = AF_UNIX;
                len = sizeof(sa_family_t);
        }
        what = "bind";
        if (bind(e.listen_fd, (struct sockaddr *)&ss, len) < 0)
                goto fail_errno;
        what = "listen";
        if (listen(e.listen_fd, 1) < 0)
                goto fail_errno;
        what = "getsockname";
        len = sizeof(ss);
        if (getsockname(e.listen_fd, (struct sockaddr *)&ss, &len) < 0)
                goto fail_errno;

        what = "fork";
        r = bench_fork(b, echo_serve, &e, &f->pid);
        if (r < 0)
                goto fail;
        /* The child holds the listening socket; a connect queues until it accepts. */
        close(e.listen_fd);
        e.listen_fd = -1;

        what = "socket";
        f->p.fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (f->p.fd < 0)
                goto fail_errno;
        what = "setsockopt";
        r = bench_set_io_timeout(f->p.fd, BENCH_IO_TIMEOUT_MS);
        if (r >= 0 && tcp)
                r = set_nodelay(f->p.fd);
        if (r < 0)
                goto fail;
        what = "connect";
        r = connect_bounded(f->p.fd, (struct sockaddr *)&ss, len);
        if (r < 0)
                goto fail;
        what = "echo check";
        f->p.buf = malloc(f->p.req);
        if (!f->p.buf) {
                r = -ENOMEM;
                goto fail;
        }
        r = pingpong_check(&f->p);
        if (r < 0)
                goto fail;

        f->spec = (struct bench_spec){ .name = f->name, .fn = pingpong_fn, .ctx = &f->p,
                                       .bytes = f->p.req, .batch = 1, .baseline = baseline };
        r = measure ? bench_run(b, &f->spec, NULL) : 0;
        f->spec.baseline = NULL;
        /* paired only with a floor that works: one whose run failed may hold a reply
           nobody read, and would time every later turn against the wrong message */
        f->up = r >= 0;
        return r;

fail_errno:
        r = -errno;
fail:
        say("%s: %s: %s", f->name, what, strerror(-r));
        b->failed = true;
        if (e.listen_fd >= 0)
                close(e.listen_fd);
        return r;
}

static int floor_stop(struct bench *b, struct bench_floor *f) {
        int r = 0;

        free(f->p.buf);
        f->p.buf = NULL;
        if (f->p.fd >= 0)
                close(f->p.fd);         /* the server sees EOF and exits 0 */
        f->p.fd = -1;
        if (f->pid > 0 && bench_reap(b, f->pid) < 0) {
                b->failed = true;
                r = -EPROTO;
        }
        f->pid = -1;
        f->up = false;
        return r;
}

/* "floor-tcp-64B", or with a smaller response "floor-tcp-72B-36B" */
static void floor_prepare(struct bench_floor *f, bool tcp, size_t req, size_t resp) {
        memset(f, 0, sizeof(*f));
        f->p = (struct pingpong){ .fd = -1, .req = req, .resp = resp };
        f->pid = -1;
        bench_size_name(f->name, tcp ? "floor-tcp" : "floor-unix", req);
        if (resp != req) {
                char tail[BENCH_NAME_MAX];
                size_t n = strlen(f->name);
                bench_size_name(tail, "", resp);
                snprintf(f->name + n, sizeof(f->name) - n, "%s", tail);
        }
}

static int floor_run(struct bench *b, bool tcp, size_t msg, const char *baseline) {
        struct bench_floor f;
        int r, r2;

        floor_prepare(&f, tcp, msg, msg);
        if (msg == 0) {
                say("%s: message size must be > 0", f.name);
                b->failed = true;
                return -EINVAL;
        }
        if (!bench_enabled(b, f.name))
                return 0;
        r = floor_start(b, tcp, baseline, true, &f);
        r2 = floor_stop(b, &f);
        return r < 0 ? r : r2;
}

int bench_floor_tcp(struct bench *b, size_t msg, const char *baseline) {
        return floor_run(b, true, msg, baseline);
}

int bench_floor_unix(struct bench *b, size_t msg, const char *baseline) {
        return floor_run(b, false, msg, baseline);
}

int bench_floor_open(struct bench *b, bool tcp, size_t req, size_t resp, const char *entries,
                     struct bench_floor **ret) {
        struct bench_floor *f;
        int r;

        *ret = NULL;
        if (req == 0 || resp == 0 || resp > req) {
                say("floor: message sizes must be > 0, the response's at most the request's");
                b->failed = true;
                return -EINVAL;
        }
        if (!(f = malloc(sizeof(*f)))) {
                b->failed = true;
                return -ENOMEM;
        }
        floor_prepare(f, tcp, req, resp);
        *ret = f;
        bool row = bench_enabled(b, f->name), wanted = row;
        if (entries) {
                char list[256], *save = NULL;
                snprintf(list, sizeof(list), "%s", entries);
                for (char *t = strtok_r(list, ",", &save); t && !wanted; t = strtok_r(NULL, ",", &save))
                        wanted = bench_enabled(b, t);
        }
        if (!wanted)
                return 0;
        r = floor_start(b, tcp, NULL, row, f);
        if (r < 0)
                floor_stop(b, f);
        return r;
}

const struct bench_spec *bench_floor_pair(const struct bench_floor *f) {
        /* not one whose round trip failed, now or in an earlier entry's turns: a reply
           left unread would time every later turn against the wrong message */
        return f && f->up && !f->p.broken ? &f->spec : NULL;
}

int bench_floor_close(struct bench *b, struct bench_floor *f) {
        int r;

        if (!f)
                return 0;
        r = floor_stop(b, f);
        free(f);
        return r;
}

/* --- memcpy ------------------------------------------------------------------------ */

struct copy {
        uint8_t *src, *dst;
        size_t size;
};

static int memcpy_fn(void *ctx, uint64_t n) {
        struct copy *c = ctx;

        for (uint64_t i = 0; i < n; i++) {
                memcpy(c->dst, c->src, c->size);
                /* Tell the compiler dst is read, so the copy is neither dropped nor merged. */
                __asm__ volatile("" : : "r"(c->dst) : "memory");
        }
        return 0;
}

int bench_memcpy(struct bench *b, size_t size, const char *baseline) {
        char name[BENCH_NAME_MAX];
        struct copy c = { .size = size };
        int r;

        bench_size_name(name, "memcpy", size);
        if (size == 0) {
                say("%s: size must be > 0", name);
                b->failed = true;
                return -EINVAL;
        }
        if (!bench_enabled(b, name))
                return 0;
        c.src = malloc(size);
        c.dst = malloc(size);
        if (!c.src || !c.dst) {
                say("%s: out of memory", name);
                b->failed = true;
                r = -ENOMEM;
                goto out;
        }
        /* Touch both buffers so page faults are not part of the first samples. */
        memset(c.src, 0x5a, size);
        memset(c.dst, 0, size);
        r = bench_run(b, &(struct bench_spec){ .name = name, .fn = memcpy_fn, .ctx = &c,
                                               .bytes = size, .baseline = baseline }, NULL);
out:
        free(c.src);
        free(c.dst);
        return r;
}
