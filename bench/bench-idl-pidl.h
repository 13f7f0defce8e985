/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Samba side of bench-idl.c: pidl's generated marshaling (libndr-standard) of
 * samr_EnumDomainUsers' response, behind a small C interface so that Samba's headers
 * (their own GUID, NTSTATUS, DATA_BLOB...) never meet ours in one translation unit.
 * Every function returns 0 or a negative errno (-ENOMEM, -EBADMSG for an NDR error,
 * -EPROTO for pulled data that differs from the source).
 */
#ifndef DCOM_BENCH_IDL_PIDL_H
#define DCOM_BENCH_IDL_PIDL_H

#include <stddef.h>
#include <stdint.h>

struct pidl_bench;

/*
 * The source data: n entries {rids[i], names[i]} (ASCII, copied), with resume handle
 * and status 0.  Pushes it once (pidl_bench_wire() then shows the bytes).  NULL when
 * out of memory or when the push fails.
 */
struct pidl_bench *pidl_bench_new(uint32_t n, const uint32_t *rids, const char *const *names);
void pidl_bench_free(struct pidl_bench *p);

/* The NDR_OUT stub pushed by pidl_bench_new(), valid until pidl_bench_free(). */
void pidl_bench_wire(const struct pidl_bench *p, const uint8_t **ret_data, size_t *ret_len);

/*
 * One operation each, every byte allocated and freed inside it (a talloc context per
 * operation, as Samba's RPC code uses one per call): push the source as NDR_OUT; pull
 * the stored stub into a fresh structure; push, then pull the bytes just pushed.
 */
int pidl_bench_push(struct pidl_bench *p);
int pidl_bench_pull(struct pidl_bench *p);
int pidl_bench_pushpull(struct pidl_bench *p);

/* Pulls the stored stub and compares every entry with the source. */
int pidl_bench_check(struct pidl_bench *p);

/*
 * For the timing split: only the character set conversion pidl does for these strings
 * (lsa_String holds UTF-8 in memory, UTF-16 on the wire): each name converted UTF-8 ->
 * UTF-16 into a stack buffer, then UTF-16 -> UTF-8 into a talloc context, freed at the
 * end.
 */
int pidl_bench_charset(struct pidl_bench *p);

#endif /* DCOM_BENCH_IDL_PIDL_H */
