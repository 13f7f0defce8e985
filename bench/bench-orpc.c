/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DCOM remoting (issue 13): calls through a generated proxy (bench/orpc-bench.idl's
 * IOrpcBench) into an object in another process -- the proxy, the channel (src/com/
 * proxy.c), the RPC client, the exporter's dispatch (src/com/exporter.c orpc_invoke) and
 * the generated stub -- next to raw-socket floors of the same message sizes measured in
 * the same run:
 *
 *   orpc-null-{tcp,lrpc}     Null(): a 72-byte request (header, IPID, ORPCTHIS) and a
 *                            36-byte response (ORPCTHAT, HRESULT), against a raw 72-out,
 *                            36-back ping-pong; goals <= 1.05x (TCP), <= 1.10x (Unix)
 *   orpc-bytes-1MiB-{tcp,lrpc}
 *                            Bytes(n, [in, size_is(n)] p) with 1 MiB in one call, against
 *                            1 MiB written raw and 36 bytes back; goal: throughput
 *                            >= 0.9x raw over TCP
 *   newproxy-{tcp,lrpc}      a new proxy from another process: CoUnmarshalInterface, the
 *                            first call, Release, with nothing cached: the OXID resolved
 *                            at rpcss, the exporter connected to afresh
 *   newproxy-*-cached        the same while another proxy of the exporter is held (the
 *                            OXID and its connection known); for both, the PDUs rpcss
 *                            and the exporter received are counted (the management
 *                            interface's rpc__mgmt_inq_stats)
 *   marshal-sta-mta[-warm]   CoMarshalInterface + CoUnmarshalInterface + Release of an STA
 *                            object's pointer in the MTA of the same process; "-warm":
 *                            the MTA already holds a proxy of the object
 *   sta-call-from-mta        Null() on an STA object through its proxy from the MTA,
 *                            against a direct vtable call
 *
 * The object server is a forked child in the MTA (calls run on RPC workers), the OBJREFs
 * to unmarshal come over a pipe, and a private rpcss (its own OPENDCOM_ROOT, a free
 * loopback port) resolves the OXIDs.  The exporter takes unauthenticated calls
 * (CoInitializeSecurity with no descriptor and RPC_C_AUTHN_LEVEL_NONE) so that TCP calls need no NTLM.
 * Compare ratios from runs with --pin (see scripts/run-bench): unpinned, cross-core
 * wake-ups dominate a loopback round trip and vary from run to run.
 */
#define COBJMACROS
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <objbase.h>
#include <sddl.h>

#include "dcom/winreg.h"

#include "bench.h"
#include "bench-services.h"
#include "com/remote-internal.h"
#include "mgmt_stub.h"
#include "orpc-bench_stub.h"
#include "rpc/rpc-internal.h"

/* A Null() call on the wire: request 16 + 8 + 16 (object UUID) + 32 (ORPCTHIS), response
   16 + 8 + 8 (ORPCTHAT) + 4 (HRESULT). */
#define NULL_REQ 72
#define NULL_RESP 36
#define BULK (1024 * 1024)
#define OBJREF_MAX 2048

/* --- raw floors of a request size and a response size --------------------------------- */

/* "floor-tcp-72B-36B": the harness's name of such a floor (bench_floor_open) */
static char *rr_name(char *buf, bool tcp, size_t req, size_t resp) {
        char tail[BENCH_NAME_MAX];

        bench_size_name(buf, tcp ? "floor-tcp" : "floor-unix", req);
        bench_size_name(tail, "", resp);
        snprintf(buf + strlen(buf), BENCH_NAME_MAX - strlen(buf), "%s", tail);
        return buf;
}

/*
 * The floors are kept up for the whole run (bench_floor_open): each is measured on its
 * own when opened (the row other entries' ratios are taken against), and again in turns
 * with the ORPC entry of the same sizes (bench_spec.pair).  Children forked later
 * inherit their connections, so they are closed in the reverse order of opening, after
 * the object server is gone.
 */
/* floors[] in main: TCP and Unix of each size, and the entry each is paired with */
enum { FLOOR_NULL = 0, FLOOR_BULK = 2 };
static const char *const floor_entries[4] = {
        "orpc-null-tcp", "orpc-null-lrpc", "orpc-bytes-1MiB-tcp", "orpc-bytes-1MiB-lrpc",
};

/* --- the object ----------------------------------------------------------------------- */

struct obj {
        IOrpcBench IOrpcBench_iface;
        atomic_int refs;
        pthread_t echo_thread;          /* where the last Echo ran */
};

static struct obj *impl_from_IOrpcBench(IOrpcBench *iface) {
        return (struct obj *)iface;
}

static HRESULT STDMETHODCALLTYPE o_qi(IOrpcBench *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IOrpcBench)) {
                *ppv = iface;
                atomic_fetch_add(&impl_from_IOrpcBench(iface)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IOrpcBench *iface) {
        return (ULONG)atomic_fetch_add(&impl_from_IOrpcBench(iface)->refs, 1) + 1;
}

/* The objects are static: the last reference frees nothing. */
static ULONG STDMETHODCALLTYPE o_release(IOrpcBench *iface) {
        return (ULONG)atomic_fetch_sub(&impl_from_IOrpcBench(iface)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_null(IOrpcBench *iface) {
        return S_OK;
}

static uint8_t pattern(size_t i) {
        return (uint8_t)(i * 31 + 7);
}

/* The ends only: the floor's server does not read its bytes either. */
static HRESULT STDMETHODCALLTYPE o_bytes(IOrpcBench *iface, ULONG n, const BYTE *p) {
        return n && p[0] == pattern(0) && p[n - 1] == pattern(n - 1) ? S_OK : E_INVALIDARG;
}

static HRESULT STDMETHODCALLTYPE o_echo(IOrpcBench *iface, LONG x, LONG *y) {
        impl_from_IOrpcBench(iface)->echo_thread = pthread_self();
        *y = x + 1;
        return S_OK;
}

static const IOrpcBenchVtbl obj_vtbl = { o_qi, o_addref, o_release, o_null, o_bytes, o_echo };

static void obj_init(struct obj *o) {
        memset(o, 0, sizeof *o);
        o->IOrpcBench_iface.lpVtbl = &obj_vtbl;
        atomic_init(&o->refs, 1);
}

/* --- OBJREFs as bytes, and pipes ------------------------------------------------------ */

static HRESULT marshal_bytes(IUnknown *unk, DWORD dest, DWORD flags, uint8_t *out, size_t size,
                             size_t *ret_len) {
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        HRESULT hr = CreateStreamOnHGlobal(NULL, TRUE, &stm);

        if (FAILED(hr))
                return hr;
        hr = CoMarshalInterface(stm, &IID_IOrpcBench, unk, dest, NULL, flags);
        if (SUCCEEDED(hr))
                hr = IStream_Stat(stm, &st, STATFLAG_NONAME);
        if (SUCCEEDED(hr))
                hr = GetHGlobalFromStream(stm, &h);
        if (SUCCEEDED(hr) && st.cbSize.QuadPart > size)
                hr = E_OUTOFMEMORY;
        if (SUCCEEDED(hr)) {
                memcpy(out, GlobalLock(h), (size_t)st.cbSize.QuadPart);
                GlobalUnlock(h);
                *ret_len = (size_t)st.cbSize.QuadPart;
        }
        IStream_Release(stm);
        return hr;
}

static IStream *stream_of(const uint8_t *p, size_t n) {
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };

        if (FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                return NULL;
        if (FAILED(IStream_Write(stm, p, (ULONG)n, NULL)) ||
            FAILED(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL))) {
                IStream_Release(stm);
                return NULL;
        }
        return stm;
}

static HRESULT rewind_stream(IStream *stm) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        return IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL);
}

/* Exactly n bytes, each wait bounded by BENCH_IO_TIMEOUT_MS (pipes have no SO_RCVTIMEO). */
static int pipe_read(int fd, void *p, size_t n) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        size_t got = 0;

        while (got < n) {
                int r = poll(&pfd, 1, BENCH_IO_TIMEOUT_MS);
                if (r == 0)
                        return -ETIMEDOUT;
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                ssize_t k = read(fd, (uint8_t *)p + got, n - got);
                if (k == 0)
                        return -ECONNRESET;
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t)k;
        }
        return 0;
}

/* A message: its length (uint32_t), then its bytes. */
static int msg_send(int fd, const void *p, size_t n) {
        uint32_t len = (uint32_t)n;
        int r = bench_write_full(fd, &len, sizeof len);
        return r < 0 ? r : bench_write_full(fd, p, n);
}

static int msg_recv(int fd, void *p, size_t size, size_t *ret_len) {
        uint32_t len;
        int r = pipe_read(fd, &len, sizeof len);

        if (r < 0)
                return r;
        if (len > size)
                return -EMSGSIZE;
        *ret_len = len;
        return pipe_read(fd, p, len);
}

/* --- the object server (a forked child) ----------------------------------------------- */

/*
 * Commands, one byte each, answered with one message: 'a' an OBJREF of object A for one
 * unmarshal (MSHLFLAGS_NORMAL), 't' of A for any number (TABLESTRONG), 'T' of object B
 * (the same apartment, so the same OXID) for any number, 'b' the exporter's ncalrpc
 * binding (for its counters); 'q' or EOF ends it.
 */
struct srv_ctx {
        int cmd[2], reply[2];
};

static int serve(void *arg) {
        struct srv_ctx *c = arg;
        struct obj objs[2];
        uint8_t buf[OBJREF_MAX];
        size_t len = 0;
        char cmd;
        int r = 0;

        close(c->cmd[1]);
        close(c->reply[0]);
        if (com_ps_register(&IOrpcBench_ProxyVtbl, &IOrpcBench_p_interface) < 0 ||
            FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return -EIO;
        /* before the first marshal starts the listener: no NTLM for the TCP calls --
           which this private instance's MachineAccessRestriction must let in (Windows'
           default admits no unauthenticated remote caller) */
        PSECURITY_DESCRIPTOR sd = NULL;
        ULONG sd_len = 0;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    u"O:BAG:BAD:(A;;CCDCLC;;;WD)(A;;CCDCLC;;;AN)", SDDL_REVISION_1, &sd, &sd_len) ||
            RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole",
                            u"MachineAccessRestriction", REG_BINARY, sd, sd_len) != ERROR_SUCCESS) {
                LocalFree(sd);
                return -EIO;
        }
        LocalFree(sd);
        if (FAILED(CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_NONE,
                                        RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE, NULL)))
                return -EIO;
        obj_init(&objs[0]);
        obj_init(&objs[1]);
        while (r >= 0 && read(c->cmd[0], &cmd, 1) == 1 && cmd != 'q') {
                HRESULT hr = S_OK;
                DWORD flags = cmd == 'a' ? MSHLFLAGS_NORMAL : MSHLFLAGS_TABLESTRONG;
                if (cmd == 'a' || cmd == 't' || cmd == 'T')
                        hr = marshal_bytes((IUnknown *)&objs[cmd == 'T'].IOrpcBench_iface,
                                           MSHCTX_LOCAL, flags, buf, sizeof buf, &len);
                else if (cmd == 'b')
                        len = com_exporter_local_binding((char *)buf, sizeof buf) < 0
                                      ? 0 : strlen((char *)buf) + 1;
                else
                        hr = E_INVALIDARG;
                if (FAILED(hr)) {
                        fprintf(stderr, "bench-orpc: server: command '%c': 0x%08x\n", cmd,
                                (unsigned)hr);
                        len = 0;
                }
                r = msg_send(c->reply[1], buf, len);
        }
        CoUninitialize();
        close(c->cmd[0]);
        close(c->reply[1]);
        return r;
}

struct server {
        pid_t pid;
        int to, from;
};

static HRESULT server_objref(struct server *s, char cmd, uint8_t *buf, size_t size,
                             size_t *ret_len) {
        int r = bench_write_full(s->to, &cmd, 1);

        if (r >= 0)
                r = msg_recv(s->from, buf, size, ret_len);
        if (r < 0)
                return dcom_hresult_from_errno(r);
        return *ret_len ? S_OK : E_FAIL;
}

static HRESULT server_unmarshal(struct server *s, char cmd, IOrpcBench **ret) {
        uint8_t buf[OBJREF_MAX];
        size_t len;
        IStream *stm;
        HRESULT hr = server_objref(s, cmd, buf, sizeof buf, &len);

        *ret = NULL;
        if (FAILED(hr))
                return hr;
        if (!(stm = stream_of(buf, len)))
                return E_OUTOFMEMORY;
        hr = CoUnmarshalInterface(stm, &IID_IOrpcBench, (void **)ret);
        IStream_Release(stm);
        return hr;
}

/* --- the calls ------------------------------------------------------------------------ */

static int null_calls(void *ctx, uint64_t n) {
        IOrpcBench *p = ctx;

        for (uint64_t i = 0; i < n; i++)
                if (IOrpcBench_Null(p) != S_OK)
                        return -EPROTO;
        return 0;
}

struct bulk {
        IOrpcBench *p;
        uint8_t *data;
};

static int bytes_calls(void *ctx, uint64_t n) {
        struct bulk *k = ctx;

        for (uint64_t i = 0; i < n; i++)
                if (IOrpcBench_Bytes(k->p, BULK, k->data) != S_OK)
                        return -EPROTO;
        return 0;
}

/*
 * A new proxy of an OBJREF (a table marshal's, so it can be unmarshaled again and again),
 * with each phase's time kept per operation (the last SPLIT_MAX) for their medians.
 */
#define SPLIT_MAX 65536

struct newproxy {
        IStream *stm;
        uint64_t *split[3];             /* unmarshal, first call, release */
        size_t n;                       /* operations done */
};

static int newproxy_ops(void *ctx, uint64_t n) {
        struct newproxy *np = ctx;

        for (uint64_t i = 0; i < n; i++) {
                IOrpcBench *p = NULL;
                uint64_t t0, t1, t2, t3;
                HRESULT hr;

                if (FAILED(rewind_stream(np->stm)))
                        return -EIO;
                t0 = bench_now_ns();
                hr = CoUnmarshalInterface(np->stm, &IID_IOrpcBench, (void **)&p);
                t1 = bench_now_ns();
                if (FAILED(hr))
                        return -EIO;
                hr = IOrpcBench_Null(p);
                t2 = bench_now_ns();
                IOrpcBench_Release(p);
                t3 = bench_now_ns();
                if (hr != S_OK)
                        return -EPROTO;
                np->split[0][np->n % SPLIT_MAX] = t1 - t0;
                np->split[1][np->n % SPLIT_MAX] = t2 - t1;
                np->split[2][np->n % SPLIT_MAX] = t3 - t2;
                np->n++;
        }
        return 0;
}

/* The management interface's counters of a server: calls in, calls out, PDUs in, PDUs out. */
static int mgmt_stats(struct rpc_binding *b, uint32_t v[4]) {
        unsigned32 count = 4, stats[4] = { 0 };
        error_status_t st = 0;
        int r = mgmt_rpc__mgmt_inq_stats((handle_t)b, &count, stats, &st);

        if (r < 0)
                return r;
        if (st || count != 4)
                return -EPROTO;
        memcpy(v, stats, sizeof stats);
        return 0;
}

struct counters {
        struct rpc_binding *rpcss, *exporter;
};

/*
 * The requests and binds rpcss and the exporter received for one new-proxy operation
 * (each answered: a round trip each), the counters' own queries subtracted.  The least of
 * three tries: rpcss also hears the exporter's periodic rundown query now and then.
 */
static int count_pdus(struct counters *k, struct newproxy *np, unsigned ret[2][2]) {
        unsigned best[2][2] = { { ~0u, ~0u }, { ~0u, ~0u } };
        uint32_t a[2][4], z[2][4], self[2][2];

        for (int t = 0; t < 3; t++) {
                /* what a query pair adds by itself */
                if (mgmt_stats(k->rpcss, a[0]) < 0 || mgmt_stats(k->exporter, a[1]) < 0 ||
                    mgmt_stats(k->rpcss, z[0]) < 0 || mgmt_stats(k->exporter, z[1]) < 0)
                        return -EIO;
                for (int s = 0; s < 2; s++) {
                        self[s][0] = z[s][0] - a[s][0];
                        self[s][1] = z[s][2] - a[s][2];
                }
                if (mgmt_stats(k->rpcss, a[0]) < 0 || mgmt_stats(k->exporter, a[1]) < 0 ||
                    newproxy_ops(np, 1) < 0 ||
                    mgmt_stats(k->rpcss, z[0]) < 0 || mgmt_stats(k->exporter, z[1]) < 0)
                        return -EIO;
                for (int s = 0; s < 2; s++) {
                        unsigned calls = z[s][0] - a[s][0] - self[s][0];
                        unsigned pdus = z[s][2] - a[s][2] - self[s][1];
                        if (pdus < best[s][1]) {
                                best[s][0] = calls;
                                best[s][1] = pdus;
                        }
                }
        }
        memcpy(ret, best, sizeof best);
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

static double median_us(uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_u64);
        return (double)(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e3;
}

static void newproxy_report(struct bench *b, const char *name, struct newproxy *np,
                            struct counters *k) {
        size_t n = np->n < SPLIT_MAX ? np->n : SPLIT_MAX;
        unsigned c[2][2];

        if (!bench_find(b, name) || !n)
                return;
        /* (the phases' medians need not add up to the operation's) */
        printf("  %s: median unmarshal %.1f us, first call %.1f us, release %.1f us\n", name,
               median_us(np->split[0], n), median_us(np->split[1], n), median_us(np->split[2], n));
        if (k->rpcss && k->exporter && count_pdus(k, np, c) == 0)
                printf("  %s: PDUs received (each a round trip): rpcss %u (%u calls, %u "
                       "binds), exporter %u (%u calls, %u binds)\n", name, c[0][1], c[0][0],
                       c[0][1] - c[0][0], c[1][1], c[1][0], c[1][1] - c[1][0]);
}

/* One newproxy entry: the server's OBJREF of cmd ('t' or 'T') unmarshaled again and again. */
static void newproxy_entry(struct bench *b, struct server *s, const char *name, char cmd,
                           const char *baseline, struct counters *k) {
        struct newproxy np = { .stm = NULL };
        uint8_t buf[OBJREF_MAX];
        size_t len;

        if (!bench_enabled(b, name))
                return;
        for (int i = 0; i < 3; i++)
                if (!(np.split[i] = malloc(SPLIT_MAX * sizeof(uint64_t))))
                        goto out;
        if (FAILED(server_objref(s, cmd, buf, sizeof buf, &len)) ||
            !(np.stm = stream_of(buf, len))) {
                fprintf(stderr, "bench-orpc: %s: no OBJREF\n", name);
                bench_fail(b);
                goto out;
        }
        bench_run(b, &(struct bench_spec){ .name = name, .fn = newproxy_ops, .ctx = &np,
                                            .batch = 1, .baseline = baseline }, NULL);
        newproxy_report(b, name, &np, k);
out:
        if (np.stm)
                IStream_Release(np.stm);
        for (int i = 0; i < 3; i++)
                free(np.split[i]);
}

/*
 * One transport's entries: the null call and 1 MiB against the floors, new proxies with
 * the OXID known and not.
 */
static void cross_process(struct bench *b, struct server *s, bool tcp, uint8_t *data,
                          struct counters *k, struct bench_floor *const *floors) {
        const char *t = tcp ? "tcp" : "lrpc";
        char name[BENCH_NAME_MAX], base[BENCH_NAME_MAX];
        IOrpcBench *p = NULL;
        struct bulk bk = { NULL, data };
        LONG y = 0;
        HRESULT hr;

        com_proxy_set_tcp_only(tcp);
        hr = server_unmarshal(s, 'a', &p);
        if (SUCCEEDED(hr))
                hr = IOrpcBench_Echo(p, 41, &y);
        if (SUCCEEDED(hr) && y != 42)
                hr = E_UNEXPECTED;
        if (FAILED(hr)) {
                fprintf(stderr, "bench-orpc: the %s proxy does not work: 0x%08x\n", t,
                        (unsigned)hr);
                bench_fail(b);
                goto out;
        }

        snprintf(name, sizeof name, "orpc-null-%s", t);
        bench_run(b, &(struct bench_spec){ .name = name, .fn = null_calls, .ctx = p,
                                            .batch = 1,
                                            .baseline = rr_name(base, tcp, NULL_REQ, NULL_RESP),
                                            .pair = bench_floor_pair(floors[FLOOR_NULL + !tcp]) },
                  NULL);

        bk.p = p;
        snprintf(name, sizeof name, "orpc-bytes-1MiB-%s", t);
        if (bench_enabled(b, name)) {
                if (IOrpcBench_Bytes(p, BULK, data) != S_OK)
                        fprintf(stderr, "bench-orpc: %s: the call fails\n", name);
                else
                        bench_run(b, &(struct bench_spec){ .name = name, .fn = bytes_calls,
                                                            .ctx = &bk, .bytes = BULK, .batch = 1,
                                                            .baseline = rr_name(base, tcp, BULK,
                                                                                NULL_RESP),
                                                            .pair = bench_floor_pair(
                                                                    floors[FLOOR_BULK + !tcp]) },
                                  NULL);
        }

        /* a new proxy of object B while A's proxy keeps the OXID and its connection */
        snprintf(name, sizeof name, "newproxy-%s-cached", t);
        newproxy_entry(b, s, name, 'T', rr_name(base, tcp, NULL_REQ, NULL_RESP), k);
        IOrpcBench_Release(p);          /* the last proxy: the OXID entry goes too */
        p = NULL;

        /* a new proxy with nothing cached: ResolveOxid2 at rpcss, a new connection, a bind */
        snprintf(name, sizeof name, "newproxy-%s", t);
        newproxy_entry(b, s, name, 't', base, k);
out:
        if (p)
                IOrpcBench_Release(p);
        com_proxy_set_tcp_only(false);
}

/* --- in one process: an STA object and the MTA ---------------------------------------- */

struct sta {
        struct obj obj;
        IStream *table;                 /* a table marshal: the stub manager stays in the STA */
        HANDLE ready, done;
        HRESULT hr;
        pthread_t thread;
};

static void *sta_main(void *arg) {
        struct sta *c = arg;
        DWORD idx;

        c->hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
        if (FAILED(c->hr)) {
                SetEvent(c->ready);
                return NULL;
        }
        obj_init(&c->obj);
        c->thread = pthread_self();
        c->hr = CreateStreamOnHGlobal(NULL, TRUE, &c->table);
        if (SUCCEEDED(c->hr))
                c->hr = CoMarshalInterface(c->table, &IID_IOrpcBench,
                                           (IUnknown *)&c->obj.IOrpcBench_iface, MSHCTX_INPROC,
                                           NULL, MSHLFLAGS_TABLESTRONG);
        SetEvent(c->ready);
        /* the STA runs the calls posted to it while it waits */
        if (SUCCEEDED(c->hr))
                CoWaitForMultipleHandles(0, INFINITE, 1, &c->done, &idx);
        if (c->table) {
                if (SUCCEEDED(c->hr) && SUCCEEDED(rewind_stream(c->table)))
                        CoReleaseMarshalData(c->table);
                IStream_Release(c->table);
        }
        CoUninitialize();
        return NULL;
}

struct marshal_ctx {
        IUnknown *obj;                  /* the STA's object, as a raw pointer */
        IStream *stm;
};

/*
 * CoMarshalInterface + CoUnmarshalInterface + Release.  Both in the MTA: marshaling the STA
 * object's raw pointer here finds its stub manager in the STA (the table marshal keeps it
 * there), so the OBJREF names the STA's OXID and the unmarshal makes a proxy, as if the
 * STA had marshaled it; a thread switch per operation would measure the handoff instead.
 */
static int marshal_ops(void *ctx, uint64_t n) {
        struct marshal_ctx *m = ctx;

        for (uint64_t i = 0; i < n; i++) {
                IOrpcBench *p = NULL;

                if (FAILED(rewind_stream(m->stm)) ||
                    FAILED(CoMarshalInterface(m->stm, &IID_IOrpcBench, m->obj, MSHCTX_INPROC, NULL,
                                              MSHLFLAGS_NORMAL)) ||
                    FAILED(rewind_stream(m->stm)) ||
                    FAILED(CoUnmarshalInterface(m->stm, &IID_IOrpcBench, (void **)&p)))
                        return -EIO;
                if ((void *)p == (void *)m->obj) {
                        IOrpcBench_Release(p);
                        return -EPROTO;         /* not a proxy: the apartments got mixed up */
                }
                IOrpcBench_Release(p);
        }
        return 0;
}

static IOrpcBench *direct_obj;

static int direct_calls(void *ctx, uint64_t n) {
        IOrpcBench *p = direct_obj;

        for (uint64_t i = 0; i < n; i++) {
                /* an opaque pointer each time: a real indirect call, not an inlined one */
                __asm__ volatile("" : "+r"(p));
                if (IOrpcBench_Null(p) != S_OK)
                        return -EPROTO;
        }
        return 0;
}

static void in_process(struct bench *b) {
        struct sta c;
        struct marshal_ctx m = { NULL, NULL };
        IOrpcBench *keep = NULL;
        DWORD idx;
        LONG y = 0;
        HRESULT hr;

        memset(&c, 0, sizeof c);
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!c.ready || !c.done || pthread_create(&c.thread, NULL, sta_main, &c) != 0) {
                fprintf(stderr, "bench-orpc: cannot start the STA\n");
                goto out_events;
        }
        CoWaitForMultipleHandles(0, INFINITE, 1, &c.ready, &idx);
        if (FAILED(c.hr)) {
                fprintf(stderr, "bench-orpc: the STA's table marshal: 0x%08x\n", (unsigned)c.hr);
                goto out_thread;
        }
        m.obj = (IUnknown *)&c.obj.IOrpcBench_iface;
        if (FAILED(CreateStreamOnHGlobal(NULL, TRUE, &m.stm)))
                goto out_thread;

        /* no proxy of the object in the MTA: each unmarshal makes one, each Release ends it */
        bench_run(b, &(struct bench_spec){ .name = "marshal-sta-mta", .fn = marshal_ops, .ctx = &m,
                                            .batch = 1, .baseline = "floor-unix-72B-36B" },
                  NULL);

        /* one held: the unmarshal finds its proxy manager (COM identity) */
        hr = rewind_stream(c.table);
        if (SUCCEEDED(hr))
                hr = CoUnmarshalInterface(c.table, &IID_IOrpcBench, (void **)&keep);
        if (SUCCEEDED(hr))
                hr = IOrpcBench_Echo(keep, 1, &y);
        if (SUCCEEDED(hr) && (y != 2 || !pthread_equal(c.obj.echo_thread, c.thread)))
                hr = E_UNEXPECTED;      /* the call must run on the STA's thread */
        if (FAILED(hr)) {
                fprintf(stderr, "bench-orpc: the proxy into the STA does not work: 0x%08x\n",
                        (unsigned)hr);
                bench_fail(b);
                goto out_stream;
        }
        /* (each operation leaves 5 more public references with the held proxy; the
           exporter takes at most 2^30 per IPID: some 200 million operations) */
        bench_run(b, &(struct bench_spec){ .name = "marshal-sta-mta-warm", .fn = marshal_ops,
                                            .ctx = &m }, NULL);

        direct_obj = &c.obj.IOrpcBench_iface;
        bench_run(b, &(struct bench_spec){ .name = "call-direct", .fn = direct_calls }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "sta-call-from-mta", .fn = null_calls,
                                            .ctx = keep, .batch = 1, .baseline = "call-direct" },
                  NULL);
out_stream:
        if (keep)
                IOrpcBench_Release(keep);
        IStream_Release(m.stm);
out_thread:
        SetEvent(c.done);
        pthread_join(c.thread, NULL);
out_events:
        if (c.ready)
                CloseHandle(c.ready);
        if (c.done)
                CloseHandle(c.done);
}

/* --- the summary ---------------------------------------------------------------------- */

static void goal(struct bench *b, const char *name, const char *base, bool throughput,
                 double target) {
        const struct bench_result *r = bench_find(b, name);

        if (!r || r->ratio <= 0)
                return;
        if (throughput) {
                double x = 1 / r->ratio;
                printf("# %-26s %.2fx the throughput of %s%s (goal >= %.2fx): %s\n", name, x,
                       base, r->paired ? " in turns" : "", target, x >= target ? "met" : "NOT met");
        } else {
                double x = r->ratio;
                printf("# %-26s %.2fx %s%s (goal <= %.2fx): %s\n", name, x, base,
                       r->paired ? " in turns" : "", target, x <= target ? "met" : "NOT met");
        }
}

static void summary(struct bench *b) {
        const struct bench_result *sta = bench_find(b, "sta-call-from-mta");
        const struct bench_result *unx = bench_find(b, "floor-unix-72B-36B");
        const struct bench_result *lrpc = bench_find(b, "orpc-null-lrpc");

        goal(b, "orpc-null-tcp", "floor-tcp-72B-36B", false, 1.05);
        goal(b, "orpc-null-lrpc", "floor-unix-72B-36B", false, 1.10);
        goal(b, "orpc-bytes-1MiB-tcp", "floor-tcp-1MiB-36B", true, 0.90);
        goal(b, "orpc-bytes-1MiB-lrpc", "floor-unix-1MiB-36B", true, 0.90);
        if (sta && unx)
                printf("# %-26s %.2fx a raw Unix-socket round trip\n", "sta-call-from-mta",
                       sta->median_ns / unx->median_ns);
        if (sta && lrpc)
                printf("# %-26s %.2fx a cross-process call over ncalrpc\n", "sta-call-from-mta",
                       sta->median_ns / lrpc->median_ns);
}

/* --- main ----------------------------------------------------------------------------- */

/* Whether any entry needing the object server (and rpcss) is selected. */
static bool cross_process_enabled(const struct bench *b) {
        static const char *const names[] = {
                "orpc-null-tcp", "orpc-null-lrpc", "orpc-bytes-1MiB-tcp", "orpc-bytes-1MiB-lrpc",
                "newproxy-tcp", "newproxy-lrpc", "newproxy-tcp-cached", "newproxy-lrpc-cached",
        };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (bench_enabled(b, names[i]))
                        return true;
        return false;
}

/* The counters of rpcss and of the server's exporter, for the PDUs of a new proxy. */
static void counters_open(struct counters *k, struct server *s) {
        uint8_t eb[OBJREF_MAX];
        size_t len;
        uint32_t v[4];

        if (rpc_binding_from_string("ncalrpc:[epmapper]", &k->rpcss) < 0 ||
            FAILED(server_objref(s, 'b', eb, sizeof eb, &len)) || !memchr(eb, 0, len) ||
            rpc_binding_from_string((char *)eb, &k->exporter) < 0)
                goto fail;
        /* associations of their own: a shared one would outlive the proxies' connections
           and so change what a new connection costs */
        rpc_binding_set_unique(k->rpcss, true);
        rpc_binding_set_unique(k->exporter, true);
        rpc_binding_set_timeout(k->rpcss, BENCH_IO_TIMEOUT_MS);
        rpc_binding_set_timeout(k->exporter, BENCH_IO_TIMEOUT_MS);
        if (mgmt_stats(k->rpcss, v) >= 0 && mgmt_stats(k->exporter, v) >= 0)
                return;
fail:
        fprintf(stderr, "bench-orpc: no rpc__mgmt_inq_stats counters: PDUs are not counted\n");
        rpc_binding_free(k->rpcss);
        rpc_binding_free(k->exporter);
        k->rpcss = k->exporter = NULL;
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv,
                                    "DCOM remoting: ORPC calls across processes and apartments vs "
                                    "raw sockets");
        char root[64];
        bool have_root = false, com = false;
        struct srv_ctx sc = { { -1, -1 }, { -1, -1 } };
        struct server s = { -1, -1, -1 };
        struct counters k = { NULL, NULL };
        pid_t rpcss = -1;
        uint8_t *data = NULL;
        struct bench_floor *floors[4] = { NULL, NULL, NULL, NULL };
        int status = 0;

        /* the floors first: their children must not inherit the connections under test */
        for (int i = 0; i < 4; i++)
                if (bench_floor_open(b, i % 2 == 0, i < 2 ? NULL_REQ : BULK, NULL_RESP,
                                     floor_entries[i], &floors[i]) < 0)
                        status = 1;

        if (bench_root_new("bench-orpc", root, sizeof root) < 0) {
                status = 1;
                goto out;
        }
        have_root = true;
        setenv("OPENDCOM_ORPC_LISTEN", "127.0.0.1", 0);
        if (!(data = malloc(BULK))) {
                status = 1;
                goto out;
        }
        for (size_t i = 0; i < BULK; i++)
                data[i] = pattern(i);

        /* rpcss and the object server, forked before COM starts threads in this process */
        if (cross_process_enabled(b)) {
                if (bench_rpcss_start(b, &rpcss) < 0) {
                        status = 1;
                        goto out;
                }
                if (pipe(sc.cmd) < 0 || pipe(sc.reply) < 0 ||
                    bench_fork(b, serve, &sc, &s.pid) < 0) {
                        perror("bench-orpc: the object server");
                        status = 1;
                        goto out;
                }
                close(sc.cmd[0]);
                close(sc.reply[1]);
                s.to = sc.cmd[1];
                s.from = sc.reply[0];
                sc = (struct srv_ctx){ { -1, -1 }, { -1, -1 } };
        }
        if (com_ps_register(&IOrpcBench_ProxyVtbl, &IOrpcBench_p_interface) < 0 ||
            FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED))) {
                fprintf(stderr, "bench-orpc: cannot initialize COM\n");
                status = 1;
                goto out;
        }
        com = true;

        if (s.pid > 0) {
                counters_open(&k, &s);
                cross_process(b, &s, false, data, &k, floors);
                cross_process(b, &s, true, data, &k, floors);
        }
        in_process(b);
        summary(b);

out:
        rpc_binding_free(k.rpcss);
        rpc_binding_free(k.exporter);
        if (s.pid > 0) {
                bench_write_full(s.to, "q", 1);
                close(s.to);
                close(s.from);
                if (bench_reap(b, s.pid) < 0)
                        status = 1;
        }
        for (int i = 0; i < 2; i++) {
                if (sc.cmd[i] >= 0)
                        close(sc.cmd[i]);
                if (sc.reply[i] >= 0)
                        close(sc.reply[i]);
        }
        if (com)
                CoUninitialize();
        if (bench_service_stop(b, rpcss) < 0)
                status = 1;
        /* the last opened first: a later floor's server holds an earlier one's connection */
        for (int i = 3; i >= 0; i--)
                if (bench_floor_close(b, floors[i]) < 0)
                        status = 1;
        free(data);
        if (have_root)
                bench_root_remove(root);
        if (bench_finish(b) != 0)
                status = 1;
        return status;
}
