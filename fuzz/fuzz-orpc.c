/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The object exporter (src/com/exporter.c) on hostile ORPC requests, end to end: two
 * objects of tests/dcomidl/obj.idl's interfaces are marshaled in process (no rpcss), one
 * in the MTA and one in an STA whose thread pumps for ever, which makes the exporter
 * listen; each input is a sequence of requests over one ncalrpc connection to that
 * listener -- the runtime's protocol engine, the exporter's dispatch by IPID
 * (orpc_invoke, posting to the STA), IRemUnknown(2) and the generated stubs, exactly as
 * a local client reaches them.  The connection is bound once (and again whenever the
 * server drops it) to IRemUnknown, IRemUnknown2, IObjTest, IObjTest2, IDispLike and an
 * interface nobody registered.
 *
 * A call in the input: byte 0 the presentation context (its low three bits modulo 6, in
 * that order; bit 7: big-endian data representation), byte 1 the opnum, byte 2 the
 * object UUID modulo 10 (0-7: an IPID of ipids[] below; 8: none; 9: the next 16 bytes),
 * a 16-bit little-endian stub length, then the stub.  In a stub, 16 bytes "FUZZ-IPID-SLOT-" + n
 * become ipids[n % 8], so that RemQueryInterface, RemAddRef and RemRelease can name
 * real interfaces.
 *
 * Sockets rather than the exporter's functions: orpc_invoke and the listener's server
 * are static, and going through the listener tests what a peer can reach, at a few
 * thousand calls a second (one Unix-socket round trip each, the bind once).
 *
 * The objects check nothing a stub should have checked (they walk their arrays to the
 * counts they get, dereference their strings).  Every call must be answered within
 * REPLY_TIMEOUT_MS; after each input the objects hold exactly the references they held
 * before (the exporter's and ours: a call that kept one leaked it) and every object
 * Peer() and GetTypeInfo() handed out is gone again (unless FUZZ_ORPC_OUT_IFACES=0; no
 * rpcss, so they cannot be exported for a remote client: whoever keeps them leaks them).
 * FUZZ_ORPC_TRACE prints each call's answer.
 */
#include <errno.h>
#include <ftw.h>
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

#include "com/objref.h"
#include "com/remote-internal.h"
#include "obj_stub.h"
#include "orpc_stub.h"
#include "rpc/rpc-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS 16
#define REPLY_TIMEOUT_MS 5000
#define N_CTX 6
#define N_IPIDS 8

static const char slot_marker[15] = "FUZZ-IPID-SLOT-";

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "fuzz-orpc: %s\n", what);
                abort();
        }
}

/* --- the object ------------------------------------------------------------------------------- */

struct fobj {
        IObjTest2 IObjTest2_iface;
        IDispLike IDispLike_iface;
        atomic_int refs;
        atomic_int value;
};

static struct fobj object;             /* in the MTA */
static struct fobj sta_object;         /* in an STA, whose thread pumps for ever */
/*
 * Peer() and GetTypeInfo() hand out objects (the [out] interface pointers the stubs
 * marshal, which a server gives up once marshaled); FUZZ_ORPC_OUT_IFACES=0 turns that off.
 */
static bool out_ifaces;
static atomic_int live_peers;           /* objects Peer()/GetTypeInfo() made, not yet freed */
static volatile uint32_t sink;

static void touch_wstr(const WCHAR *s) {
        for (size_t i = 0; s[i]; i++)
                sink += s[i];
}

static struct fobj *from_obj(IObjTest2 *i) {
        return (struct fobj *)((char *)i - offsetof(struct fobj, IObjTest2_iface));
}

static struct fobj *from_disp(IDispLike *i) {
        return (struct fobj *)((char *)i - offsetof(struct fobj, IDispLike_iface));
}

static HRESULT fobj_qi(struct fobj *o, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2))
                *ppv = &o->IObjTest2_iface;
        else if (IsEqualIID(riid, &IID_IDispLike))
                *ppv = &o->IDispLike_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&o->refs, 1);
        return S_OK;
}

/* A peer: an object of its own on the heap, freed by its last Release. */
struct peer {
        IObjTest2 IObjTest2_iface;
        atomic_int refs;
};

static HRESULT STDMETHODCALLTYPE p_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                atomic_fetch_add(&((struct peer *)This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE p_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&((struct peer *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE p_release(IObjTest2 *This) {
        int r = atomic_fetch_sub(&((struct peer *)This)->refs, 1) - 1;

        if (r == 0) {
                free(This);
                atomic_fetch_sub(&live_peers, 1);
        }
        return (ULONG)r;
}

static const IObjTest2Vtbl peer_vtbl;

/* A new peer as riid (E_NOINTERFACE for one it lacks: then nothing is left). */
static HRESULT peer_new(REFIID riid, void **ppv) {
        struct peer *p = calloc(1, sizeof *p);
        HRESULT hr;

        *ppv = NULL;
        if (!p)
                return E_OUTOFMEMORY;
        p->IObjTest2_iface.lpVtbl = &peer_vtbl;
        atomic_init(&p->refs, 1);
        atomic_fetch_add(&live_peers, 1);
        hr = p_qi(&p->IObjTest2_iface, riid, ppv);
        p_release(&p->IObjTest2_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        return fobj_qi(from_obj(This), riid, ppv);
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&from_obj(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        return (ULONG)atomic_fetch_sub(&from_obj(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        size_t n = 0;

        while (name[n])
                n++;
        *greeting = midl_user_allocate((n + 2) * sizeof(WCHAR));
        if (!*greeting)
                return E_OUTOFMEMORY;
        (*greeting)[0] = '>';
        memcpy(*greeting + 1, name, (n + 1) * sizeof(WCHAR));
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        uint32_t s = 0;

        for (ULONG i = 0; i < n; i++)
                s += (uint32_t)v[i];
        *ret = (LONG)s;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = atomic_load(&from_obj(This)->value);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        atomic_store(&from_obj(This)->value, v);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        if (p->label)
                touch_wstr(p->label);
        p->a = (LONG)((uint32_t)p->a * 2u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;      /* any value, success codes too */
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        *y = (LONG)((uint32_t)x * 2u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        if (out_ifaces)
                return peer_new(riid, ppv);
        sink += riid->Data1;
        *ppv = NULL;
        return riid->Data1 & 1 ? E_NOINTERFACE : S_OK;
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi, o_addref, o_release, o_add, o_greet, o_sum, o_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static const IObjTest2Vtbl peer_vtbl = {
        p_qi, p_addref, p_release, o_add, o_greet, o_sum, o_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static HRESULT STDMETHODCALLTYPE d_qi(IDispLike *This, REFIID riid, void **ppv) {
        return fobj_qi(from_disp(This), riid, ppv);
}

static ULONG STDMETHODCALLTYPE d_addref(IDispLike *This) {
        return (ULONG)atomic_fetch_add(&from_disp(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE d_release(IDispLike *This) {
        return (ULONG)atomic_fetch_sub(&from_disp(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE d_count(IDispLike *This, UINT *n) {
        *n = 1;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE d_typeinfo(IDispLike *This, UINT i, LCID lcid, IUnknown **ret) {
        if (!out_ifaces || (i & 1)) {
                *ret = NULL;
                return i & 1 ? DISP_E_BADINDEX : S_OK;
        }
        return peer_new(&IID_IUnknown, (void **)ret);
}

static HRESULT STDMETHODCALLTYPE d_ids(IDispLike *This, REFIID riid, LPOLESTR *names, UINT n,
                                       LCID lcid, DISPID *ids) {
        sink += riid->Data1;
        for (UINT i = 0; i < n; i++) {
                if (names[i])
                        touch_wstr(names[i]);
                ids[i] = (DISPID)i;
        }
        return S_OK;
}

static const IDispLikeVtbl disp_vtbl = {
        d_qi, d_addref, d_release, d_count, d_typeinfo, d_ids,
};

/* --- the exporter ----------------------------------------------------------------------------- */

static const struct ndr_interface *const ifaces[N_CTX - 1] = {
        &IRemUnknown_p_interface, &IRemUnknown2_p_interface, &IObjTest_p_interface,
        &IObjTest2_p_interface, &IDispLike_p_interface,
};
/* context 5: nobody registered it */
static const GUID unknown_if = { 0x0f0f0f0f, 0x1111, 0x2222, { 3, 3, 4, 4, 5, 5, 6, 6 } };

/* the MTA object's IObjTest2, IObjTest, IUnknown and IDispLike, the MTA exporter's
   IRemUnknown, GUID_NULL, the STA object's IObjTest2, the STA exporter's IRemUnknown */
static IPID ipids[N_IPIDS];
static bool trace;                      /* FUZZ_ORPC_TRACE set: each call's answer on stderr */
static int baseline_refs, sta_baseline_refs;
static char root[] = "/tmp/fuzz-orpc-XXXXXX";
static struct sockaddr_un lrpc = { .sun_family = AF_UNIX };

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
        remove(path);
        return 0;
}

static void cleanup(void) {
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Marshals o as iid in process: its IPID (the exporter listens from now on). */
static void export_as(struct fobj *o, const IID *iid, IPID *ret_ipid, OXID *ret_oxid) {
        struct objref ref;
        IStream *stm;
        HGLOBAL h;
        STATSTG st;

        check(SUCCEEDED(CreateStreamOnHGlobal(NULL, TRUE, &stm)), "CreateStreamOnHGlobal");
        check(SUCCEEDED(CoMarshalInterface(stm, iid, (IUnknown *)&o->IObjTest2_iface,
                                           MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL)),
              "CoMarshalInterface");
        check(SUCCEEDED(GetHGlobalFromStream(stm, &h)) &&
                      SUCCEEDED(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME)),
              "the marshaled stream");
        const uint8_t *p = GlobalLock(h);
        check(objref_parse(p, (size_t)st.cbSize.QuadPart, &ref, NULL) == 0 &&
                      ref.flags == OBJREF_STANDARD,
              "our own OBJREF");
        GlobalUnlock(h);
        stm->lpVtbl->Release(stm);
        *ret_ipid = ref.std.ipid;
        *ret_oxid = ref.std.oxid;
        objref_clear(&ref);
}

static void fobj_init(struct fobj *o) {
        o->IObjTest2_iface.lpVtbl = &obj_vtbl;
        o->IDispLike_iface.lpVtbl = &disp_vtbl;
        atomic_init(&o->refs, 1);
}

static pthread_mutex_t sta_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sta_ready = PTHREAD_COND_INITIALIZER;
static bool sta_up;

/* The STA: exports its object, then runs the calls posted to it for ever. */
static void *sta_main(void *arg) {
        HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
        uint32_t hint;
        DWORD index;
        IPID other;
        OXID oxid;

        check(never && SUCCEEDED(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED)), "the STA");
        export_as(&sta_object, &IID_IObjTest2, &ipids[6], &oxid);
        /* its other interfaces too, so that no RemQueryInterface makes an IPID (a reference) */
        export_as(&sta_object, &IID_IObjTest, &other, &oxid);
        export_as(&sta_object, &IID_IUnknown, &other, &oxid);
        export_as(&sta_object, &IID_IDispLike, &other, &oxid);
        check(com_exporter_oxid_info(oxid, &ipids[7], &hint), "com_exporter_oxid_info");
        check(SUCCEEDED(CoLockObjectExternal((IUnknown *)&sta_object.IObjTest2_iface, TRUE, FALSE)),
              "CoLockObjectExternal");
        sta_baseline_refs = atomic_load(&sta_object.refs);
        pthread_mutex_lock(&sta_lock);
        sta_up = true;
        pthread_cond_signal(&sta_ready);
        pthread_mutex_unlock(&sta_lock);
        for (;;)
                CoWaitForMultipleHandles(0, INFINITE, 1, &never, &index);
        return NULL;
}

static void setup(void) {
        char binding[128], *ep, *end;
        uint32_t hint;
        OXID oxid;

        check(mkdtemp(root) != NULL, "mkdtemp");
        atexit(cleanup);
        /* a state directory of our own: no rpcss, an empty registry */
        setenv("OPENDCOM_ROOT", root, 1);
        setenv("OPENDCOM_ORPC_LISTEN", "127.0.0.1", 1);
        unsetenv("OPENDCOM_ORPC_ADVERTISE");
        fobj_init(&object);
        fobj_init(&sta_object);
        check(com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface) == 0 &&
                      com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface) == 0 &&
                      com_ps_register(&IDispLike_ProxyVtbl, &IDispLike_p_interface) == 0,
              "com_ps_register");
        check(SUCCEEDED(CoInitializeEx(NULL, COINIT_MULTITHREADED)), "CoInitializeEx");
        export_as(&object, &IID_IObjTest2, &ipids[0], &oxid);
        export_as(&object, &IID_IObjTest, &ipids[1], &oxid);
        export_as(&object, &IID_IUnknown, &ipids[2], &oxid);
        export_as(&object, &IID_IDispLike, &ipids[3], &oxid);
        check(com_exporter_oxid_info(oxid, &ipids[4], &hint), "com_exporter_oxid_info");
        /* ipids[5]: GUID_NULL */
        /* whatever RemRelease gives back, the stub manager stays */
        check(SUCCEEDED(CoLockObjectExternal((IUnknown *)&object.IObjTest2_iface, TRUE, FALSE)),
              "CoLockObjectExternal");
        baseline_refs = atomic_load(&object.refs);
        pthread_t t;
        check(pthread_create(&t, NULL, sta_main, NULL) == 0, "pthread_create");
        pthread_detach(t);
        pthread_mutex_lock(&sta_lock);
        while (!sta_up)
                pthread_cond_wait(&sta_ready, &sta_lock);
        pthread_mutex_unlock(&sta_lock);
        trace = getenv("FUZZ_ORPC_TRACE") != NULL;
        /* on by default now that server stubs give up what they push (FUZZ_ORPC_OUT_IFACES=0:
           off) */
        const char *oi = getenv("FUZZ_ORPC_OUT_IFACES");
        out_ifaces = !oi || strcmp(oi, "0") != 0;

        check(com_exporter_local_binding(binding, sizeof binding) >= 0,
              "com_exporter_local_binding");
        ep = strchr(binding, '[');
        end = ep ? strchr(ep, ']') : NULL;
        check(end != NULL, "the exporter's ncalrpc binding");
        *end = 0;
        check(rpc_lrpc_path(ep + 1, lrpc.sun_path, sizeof lrpc.sun_path) == 0, "rpc_lrpc_path");
}

/* --- the connection --------------------------------------------------------------------------- */

static int fd = -1;
static uint16_t max_frag;               /* what the server receives */
static uint32_t call_id;

static void put16(uint8_t *p, uint16_t v, bool be) {
        p[be ? 1 : 0] = (uint8_t)v;
        p[be ? 0 : 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v, bool be) {
        for (int i = 0; i < 4; i++)
                p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put_guid(uint8_t *p, const GUID *g, bool be) {
        put32(p, g->Data1, be);
        put16(p + 4, g->Data2, be);
        put16(p + 6, g->Data3, be);
        memcpy(p + 8, g->Data4, 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool send_all(const uint8_t *p, size_t n) {
        while (n) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t)k;
        }
        return true;
}

/* n bytes, or false when the connection ended; a server that does not answer aborts. */
static bool recv_all(uint8_t *p, size_t n) {
        while (n) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int r = poll(&pfd, 1, REPLY_TIMEOUT_MS);
                if (r < 0 && errno == EINTR)
                        continue;
                check(r != 0, "no answer from the exporter in time: a call hangs");
                ssize_t k = recv(fd, p, n, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t)k;
        }
        return true;
}

/* The next PDU: its header (16 bytes) in hdr, the rest discarded. */
static bool recv_pdu(uint8_t hdr[16], uint8_t *body, size_t body_size, size_t *ret_len) {
        uint8_t skip[4096];

        if (!recv_all(hdr, 16))
                return false;
        bool be = (hdr[4] & 0xf0) == 0;
        size_t len = be ? (size_t)hdr[8] << 8 | hdr[9] : (size_t)hdr[9] << 8 | hdr[8];
        if (len < 16)
                return false;
        len -= 16;
        *ret_len = len;
        size_t keep = len < body_size ? len : body_size;
        if (!recv_all(body, keep))
                return false;
        for (len -= keep; len;) {
                size_t k = len < sizeof skip ? len : sizeof skip;
                if (!recv_all(skip, k))
                        return false;
                len -= k;
        }
        return true;
}

static void disconnect(void) {
        if (fd >= 0)
                close(fd);
        fd = -1;
}

/* Connects and binds every presentation context in one bind. */
static bool connect_bind(void) {
        uint8_t pdu[512], hdr[16], body[64];
        size_t n = 0, len;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(fd >= 0, "socket");
        check(connect(fd, (struct sockaddr *)&lrpc, sizeof lrpc) == 0,
              "connecting to the exporter");
        rpc_hdr_write(pdu, RPC_PTYPE_BIND, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, 0, 0, ++call_id);
        n = 16;
        put16(pdu + n, 5840, false);            /* max_xmit_frag */
        put16(pdu + n + 2, 5840, false);        /* max_recv_frag */
        put32(pdu + n + 4, 0, false);           /* a new association group */
        pdu[n + 8] = N_CTX;
        pdu[n + 9] = pdu[n + 10] = pdu[n + 11] = 0;
        n += 12;
        for (uint16_t i = 0; i < N_CTX; i++) {
                const GUID *uuid = i < N_CTX - 1 ? &ifaces[i]->uuid : &unknown_if;
                put16(pdu + n, i, false);
                pdu[n + 2] = 1;                 /* one transfer syntax */
                pdu[n + 3] = 0;
                put_guid(pdu + n + 4, uuid, false);
                put32(pdu + n + 20, 0, false);  /* version 0.0 */
                put_guid(pdu + n + 24, &rpc_syntax_ndr20.uuid, false);
                put32(pdu + n + 40, 2, false);
                n += 44;
        }
        put16(pdu + 8, (uint16_t)n, false);
        if (!send_all(pdu, n) || !recv_pdu(hdr, body, sizeof body, &len) ||
            hdr[2] != RPC_PTYPE_BIND_ACK || len < 4) {
                disconnect();
                return false;
        }
        max_frag = (uint16_t)(body[2] | body[3] << 8);
        check(max_frag >= 1432, "the bind_ack's max_recv_frag");
        return true;
}

/* One request (in as many fragments as it takes) and its answer.  False: the connection
   ended under it. */
static bool call(uint16_t ctx, uint16_t opnum, const uint8_t *object_uuid, bool be,
                 const uint8_t *stub, size_t len) {
        uint8_t pdu[65536], hdr[16], body[12];
        size_t off = 0, rlen;
        uint32_t id = ++call_id;
        size_t head = 24 + (object_uuid ? 16 : 0);
        size_t room = max_frag - head;

        do {
                size_t k = len - off < room ? len - off : room;
                uint8_t flags = (uint8_t)((off == 0 ? RPC_PFC_FIRST_FRAG : 0) |
                                          (off + k == len ? RPC_PFC_LAST_FRAG : 0) |
                                          (object_uuid ? RPC_PFC_OBJECT_UUID : 0));
                rpc_hdr_write(pdu, RPC_PTYPE_REQUEST, flags, 0, 0, id);
                pdu[4] = be ? 0x00 : 0x10;
                put16(pdu + 8, (uint16_t)(head + k), be);
                put32(pdu + 12, id, be);
                put32(pdu + 16, (uint32_t)len, be);     /* alloc_hint */
                put16(pdu + 20, ctx, be);
                put16(pdu + 22, opnum, be);
                if (object_uuid)
                        memcpy(pdu + 24, object_uuid, 16);
                memcpy(pdu + head, stub + off, k);
                if (!send_all(pdu, head + k))
                        return false;
                off += k;
        } while (off < len);
        for (;;) {
                if (!recv_pdu(hdr, body, sizeof body, &rlen))
                        return false;
                if (le32(hdr + 12) != id)       /* our answers are little-endian */
                        continue;
                if (trace)
                        fprintf(stderr, "call %u: ctx %u opnum %u: %s, %zu bytes, status 0x%08x\n",
                                id, ctx, opnum, hdr[2] == RPC_PTYPE_FAULT ? "fault" : "response",
                                rlen, hdr[2] == RPC_PTYPE_FAULT ? le32(body + 8) : 0);
                if (hdr[2] == RPC_PTYPE_FAULT ||
                    (hdr[2] == RPC_PTYPE_RESPONSE && (hdr[3] & RPC_PFC_LAST_FRAG)))
                        return true;
                if (hdr[2] != RPC_PTYPE_RESPONSE)
                        return false;
        }
}

/* Writes the IPIDs the stub's slots name over them, in the stub's byte order. */
static void fill_slots(uint8_t *stub, size_t len, bool be) {
        for (size_t i = 0; i + 16 <= len; i++)
                if (memcmp(stub + i, slot_marker, sizeof slot_marker) == 0) {
                        put_guid(stub + i, &ipids[stub[i + 15] % N_IPIDS], be);
                        i += 15;
                }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool init;
        static uint8_t stub[65536];

        if (!init) {
                setup();
                init = true;
        }
        for (int i = 0; i < MAX_CALLS && size >= 5; i++) {
                uint16_t ctx = (uint16_t)((data[0] & 7) % N_CTX);
                bool be = data[0] & 0x80;
                uint16_t opnum = data[1];
                uint8_t sel = data[2] % (N_IPIDS + 2);
                size_t len = (size_t)data[3] | (size_t)data[4] << 8;
                uint8_t obj[16];
                const uint8_t *object_uuid = obj;

                data += 5;
                size -= 5;
                if (sel < N_IPIDS) {
                        put_guid(obj, &ipids[sel], be);
                } else if (sel == N_IPIDS) {
                        object_uuid = NULL;
                } else {
                        if (size < 16)
                                break;
                        memcpy(obj, data, 16);
                        data += 16;
                        size -= 16;
                }
                if (len > size)
                        len = size;
                memcpy(stub, data, len);
                fill_slots(stub, len, be);
                data += len;
                size -= len;
                if (fd < 0 && !connect_bind())
                        break;
                if (!call(ctx, opnum, object_uuid, be, stub, len))
                        disconnect();   /* the server dropped us: a new connection next */
        }
        /* every call has come back: nothing it took may still be held */
        check(atomic_load(&object.refs) == baseline_refs &&
                      atomic_load(&sta_object.refs) == sta_baseline_refs,
              "a call leaked a reference to the object");
        check(atomic_load(&live_peers) == 0, "an object a call returned was never released");
        return 0;
}
