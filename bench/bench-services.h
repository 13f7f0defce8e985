/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The services a COM benchmark runs against (bench-orpc, bench-activation): a private
 * OPENDCOM_ROOT under /tmp, the rpcss and dcomlaunch built next to the benchmark (BUILDDIR/
 * services), rpcss on a free loopback port (OPENDCOM_EPM_PORT set for this process and
 * its children).  Each service is a bench_fork() child, so the harness's watchdog kills
 * it too; start them before COM starts threads in the benchmark (bench_fork's rule).
 */
#ifndef DCOM_BENCH_SERVICES_H
#define DCOM_BENCH_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bench.h"

/* A new state directory (/tmp/NAME-XXXXXX, into root of size >= 64) as OPENDCOM_ROOT. */
int bench_root_new(const char *name, char *root, size_t size);
/* Removes it and everything in it. */
void bench_root_remove(const char *root);
/* BUILDDIR/rel (e.g. "services/rpcss") for this program in BUILDDIR/bench: 0 when it
   is executable, else a negative errno with a line on stderr (build it first). */
int bench_build_path(const char *rel, char *buf, size_t size);
/* Starts rpcss --listen 127.0.0.1 on a free port and waits (5 s at most) until its
   ncalrpc endpoint answers. */
int bench_rpcss_start(struct bench *b, pid_t *ret_pid);
/* Starts dcomlaunch --foreground (a private instance) and waits until its socket is up. */
int bench_dcomlaunch_start(struct bench *b, pid_t *ret_pid);
/* SIGTERM, then bench_reap(); pid <= 0 is a no-op (0). */
int bench_service_stop(struct bench *b, pid_t pid);

#endif /* DCOM_BENCH_SERVICES_H */
