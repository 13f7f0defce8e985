/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floors on their own: 64-byte ping-pong with a forked echo server over loopback
 * TCP and over a Unix stream socket, and a 1 MiB memcpy.  No RPC can beat a raw round
 * trip on the same transport, and no marshaling can beat memcpy, so these are the
 * numbers every other benchmark divides by.  Run it with --pin 0 on a 2-core VM to see
 * how much of a round trip is cross-core wake-up.
 */
#include <stdio.h>

#include "bench.h"

#define MSG 64
#define COPY (1024 * 1024)

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv,
                                    "raw-socket floors: 64-byte ping-pong over TCP and Unix "
                                    "sockets, 1 MiB memcpy");
        const struct bench_result *tcp, *unx;
        char tcp_name[BENCH_NAME_MAX], unix_name[BENCH_NAME_MAX];

        bench_size_name(tcp_name, "floor-tcp", MSG);
        bench_size_name(unix_name, "floor-unix", MSG);

        /* Errors are printed and remembered by the harness; carry on with the next entry. */
        bench_floor_tcp(b, MSG, NULL);
        bench_floor_unix(b, MSG, tcp_name);
        bench_memcpy(b, COPY, NULL);

        tcp = bench_find(b, tcp_name);
        unx = bench_find(b, unix_name);
        if (tcp && unx)
                printf("# a Unix-socket round trip costs %.2fx a TCP one (median %.2f us vs "
                       "%.2f us)\n", unx->ratio, unx->median_ns / 1e3, tcp->median_ns / 1e3);
        return bench_finish(b);
}
