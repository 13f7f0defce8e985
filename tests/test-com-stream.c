/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Global memory (src/com/hglobal.c) and CreateStreamOnHGlobal (src/com/stream.c), against
 * the behaviour Wine's conformance tests record for Windows (dlls/kernel32/tests/heap.c's
 * test_GlobalAlloc, dlls/ole32/tests/hglobalstream.c), plus what marshaling relies on:
 * growth, clones, several threads, and out-of-memory at every allocation.  Linked to the
 * static library for the allocator's fault injection.
 */
#define COBJMACROS

#include <pthread.h>

#include <objbase.h>

#include "test.h"

#define SENTINEL UINT64_C(0xCAFECAFECAFECAFE)

/* Read and Write through the interface, as Windows code calls them. */
static HRESULT stream_read(IStream *s, void *pv, ULONG cb, ULONG *pcbRead) {
        return IStream_Read(s, pv, cb, pcbRead);
}

static HRESULT stream_write(IStream *s, const void *pv, ULONG cb, ULONG *pcbWritten) {
        return IStream_Write(s, pv, cb, pcbWritten);
}

/* Windows' tests set LARGE_INTEGERs by halves: HighPart, LowPart. */
static LARGE_INTEGER parts(DWORD high, DWORD low) {
        LARGE_INTEGER li;

        li.QuadPart = (LONGLONG)(((ULONGLONG)high << 32) | low);
        return li;
}

static ULARGE_INTEGER uparts(DWORD high, DWORD low) {
        ULARGE_INTEGER uli;

        uli.QuadPart = ((ULONGLONG)high << 32) | low;
        return uli;
}

static ULARGE_INTEGER usize(ULONGLONG n) {
        ULARGE_INTEGER uli;

        uli.QuadPart = n;
        return uli;
}

/* Seek by LowPart (HighPart 0) and return the reported position, or SENTINEL. */
static HRESULT seek(IStream *s, DWORD low, DWORD origin, ULONGLONG *pos) {
        ULARGE_INTEGER p;
        HRESULT hr;

        p.QuadPart = SENTINEL;
        hr = IStream_Seek(s, parts(0, low), origin, &p);
        *pos = p.QuadPart;
        return hr;
}

static ULONGLONG position(IStream *s) {
        ULONGLONG pos;

        ASSERT_HR_EQ(seek(s, 0, STREAM_SEEK_CUR, &pos), S_OK);
        return pos;
}

static ULONGLONG stat_size(IStream *s) {
        STATSTG st;

        ASSERT_HR_EQ(IStream_Stat(s, &st, STATFLAG_NONAME), S_OK);
        return st.cbSize.QuadPart;
}

static HGLOBAL hglobal_of(IStream *s) {
        HGLOBAL h = NULL;

        ASSERT_HR_EQ(GetHGlobalFromStream(s, &h), S_OK);
        return h;
}

/* --- global memory ---------------------------------------------------------------------- */

TEST(global_fixed_block_is_its_own_address) {
        HGLOBAL mem = GlobalAlloc(GPTR, 100);
        unsigned char *p;

        ASSERT_NOT_NULL(mem);
        ASSERT_EQ(GlobalSize(mem), 100);
        p = GlobalLock(mem);
        ASSERT_TRUE(p == (unsigned char *)mem);
        for (int i = 0; i < 100; i++)
                ASSERT_EQ(p[i], 0);                     /* GMEM_ZEROINIT */
        ASSERT_TRUE(GlobalHandle(p) == mem);
        ASSERT_TRUE(GlobalUnlock(mem));                 /* fixed blocks have no lock count */
        ASSERT_NULL(GlobalFree(mem));

        mem = GlobalAlloc(GMEM_FIXED, 0);               /* a real, empty block */
        ASSERT_NOT_NULL(mem);
        ASSERT_EQ(GlobalSize(mem), 0);
        ASSERT_TRUE(GlobalLock(mem) == mem);
        ASSERT_NULL(GlobalFree(mem));
}

TEST(global_moveable_block_has_a_handle_and_lock_count) {
        HGLOBAL mem = GlobalAlloc(GHND, 256);
        unsigned char *p, *q;

        ASSERT_NOT_NULL(mem);
        /* Windows' shape for moveable handles: an odd multiple of the pointer size. */
        ASSERT_EQ((uintptr_t)mem & (2 * sizeof(void *) - 1), sizeof(void *));
        ASSERT_EQ(GlobalSize(mem), 256);
        p = GlobalLock(mem);
        ASSERT_NOT_NULL(p);
        ASSERT_TRUE(p != (unsigned char *)mem);
        for (int i = 0; i < 256; i++)
                ASSERT_EQ(p[i], 0);
        ASSERT_TRUE(GlobalHandle(p) == mem);
        ASSERT_TRUE(GlobalHandle(mem) == mem);
        q = GlobalLock(mem);
        ASSERT_TRUE(q == p);
        ASSERT_TRUE(GlobalUnlock(mem));                 /* still locked once */
        ASSERT_FALSE(GlobalUnlock(mem));                /* now unlocked */
        ASSERT_FALSE(GlobalUnlock(mem));                /* was not locked */
        ASSERT_NULL(GlobalFree(mem));
}

TEST(global_moveable_size_zero_has_no_data) {
        HGLOBAL mem = GlobalAlloc(GMEM_MOVEABLE, 0), tmp;

        ASSERT_NOT_NULL(mem);
        ASSERT_EQ(GlobalSize(mem), 0);
        ASSERT_NULL(GlobalLock(mem));
        tmp = GlobalReAlloc(mem, 10, GMEM_MOVEABLE);
        ASSERT_TRUE(tmp == mem);                        /* the handle stays */
        ASSERT_EQ(GlobalSize(mem), 10);
        ASSERT_NOT_NULL(GlobalLock(mem));
        ASSERT_FALSE(GlobalUnlock(mem));
        tmp = GlobalReAlloc(mem, 0, GMEM_MOVEABLE);
        ASSERT_TRUE(tmp == mem);
        ASSERT_EQ(GlobalSize(mem), 0);
        ASSERT_NULL(GlobalLock(mem));
        tmp = GlobalReAlloc(mem, 10, GMEM_MOVEABLE);
        ASSERT_TRUE(tmp == mem);
        ASSERT_EQ(GlobalSize(mem), 10);
        ASSERT_NULL(GlobalFree(mem));
        ASSERT_EQ(GlobalSize(mem), 0);
}

TEST(global_freed_and_foreign_handles_are_refused) {
        HGLOBAL mem;
        int on_stack;

        ASSERT_NULL(GlobalFree(NULL));
        ASSERT_NULL(GlobalReAlloc(NULL, 10, GMEM_MOVEABLE));
        ASSERT_EQ(GlobalSize(NULL), 0);
        ASSERT_NULL(GlobalLock(NULL));

        mem = GlobalAlloc(GMEM_MOVEABLE, 256);
        ASSERT_NOT_NULL(mem);
        ASSERT_NULL(GlobalFree(mem));
        ASSERT_TRUE(GlobalFree(mem) == mem);            /* freed handles are caught */
        ASSERT_EQ(GlobalSize(mem), 0);
        ASSERT_NULL(GlobalLock(mem));
        ASSERT_TRUE(GlobalUnlock(mem));
        ASSERT_NULL(GlobalReAlloc(mem, 0, GMEM_MOVEABLE));
        ASSERT_NULL(GlobalHandle(mem));

        /* A handle freed is not soon handed out again. */
        HGLOBAL next = GlobalAlloc(GMEM_MOVEABLE, 16);
        ASSERT_NOT_NULL(next);
        ASSERT_TRUE(next != mem);
        ASSERT_NULL(GlobalFree(next));

        /* Pointers that are no block's. */
        ASSERT_TRUE(GlobalFree(&on_stack) == (HGLOBAL)&on_stack);
        ASSERT_EQ(GlobalSize(&on_stack), 0);
        ASSERT_NULL(GlobalLock(&on_stack));
        ASSERT_TRUE(GlobalUnlock(&on_stack));
        ASSERT_NULL(GlobalReAlloc(&on_stack, 0, GMEM_MOVEABLE));
        ASSERT_NULL(GlobalHandle(&on_stack));
}

TEST(global_realloc_fixed) {
        HGLOBAL mem = GlobalAlloc(GMEM_FIXED, 12), tmp;
        unsigned char *p;

        ASSERT_NOT_NULL(mem);
        memcpy(mem, "hello world", 12);
        /* GMEM_MODIFY without GMEM_MOVEABLE changes nothing, size included. */
        tmp = GlobalReAlloc(mem, 1024 * 1024, GMEM_MODIFY);
        ASSERT_TRUE(tmp == mem);
        ASSERT_EQ(GlobalSize(mem), 12);
        /* A fixed block cannot move without GMEM_MOVEABLE... */
        ASSERT_NULL(GlobalReAlloc(mem, 1024 * 1024, 0));
        ASSERT_EQ(GlobalSize(mem), 12);
        /* ...but shrinks in place. */
        tmp = GlobalReAlloc(mem, 6, 0);
        ASSERT_TRUE(tmp == mem);
        ASSERT_EQ(GlobalSize(mem), 6);
        /* With GMEM_MOVEABLE it is relocated, and stays a fixed block. */
        tmp = GlobalReAlloc(mem, 4096, GMEM_MOVEABLE | GMEM_ZEROINIT);
        ASSERT_NOT_NULL(tmp);
        ASSERT_TRUE(tmp != mem);
        p = GlobalLock(tmp);
        ASSERT_TRUE(p == (unsigned char *)tmp);
        ASSERT_MEM_EQ(p, "hello ", 6);
        for (int i = 6; i < 4096; i++)
                ASSERT_EQ(p[i], 0);
        ASSERT_EQ(GlobalSize(tmp), 4096);
        ASSERT_EQ(GlobalSize(mem), 0);                  /* the old address is gone */
        ASSERT_NULL(GlobalFree(tmp));
}

TEST(global_realloc_modify_makes_fixed_moveable) {
        HGLOBAL mem = GlobalAlloc(GMEM_FIXED, 12), tmp;
        char *p;

        ASSERT_NOT_NULL(mem);
        memcpy(mem, "hello world", 12);
        tmp = GlobalReAlloc(mem, 0, GMEM_MOVEABLE | GMEM_MODIFY);
        ASSERT_NOT_NULL(tmp);
        ASSERT_EQ((uintptr_t)tmp & (2 * sizeof(void *) - 1), sizeof(void *));
        ASSERT_EQ(GlobalSize(tmp), 12);
        p = GlobalLock(tmp);
        ASSERT_STR_EQ(p, "hello world");
        ASSERT_TRUE(GlobalHandle(p) == tmp);
        ASSERT_FALSE(GlobalUnlock(tmp));
        ASSERT_NULL(GlobalFree(tmp));
}

TEST(global_realloc_moveable) {
        HGLOBAL mem = GlobalAlloc(GMEM_MOVEABLE, 8), tmp;
        unsigned char *p;

        ASSERT_NOT_NULL(mem);
        p = GlobalLock(mem);
        memcpy(p, "abcdefgh", 8);
        /* Locked and not GMEM_MOVEABLE: it may not move, so it cannot grow far. */
        ASSERT_NULL(GlobalReAlloc(mem, 1024 * 1024, 0));
        /* Nor be emptied while locked. */
        ASSERT_NULL(GlobalReAlloc(mem, 0, GMEM_MOVEABLE));
        ASSERT_FALSE(GlobalUnlock(mem));
        tmp = GlobalReAlloc(mem, 1024 * 1024, GMEM_ZEROINIT);
        ASSERT_TRUE(tmp == mem);
        ASSERT_EQ(GlobalSize(mem), 1024 * 1024);
        p = GlobalLock(mem);
        ASSERT_MEM_EQ(p, "abcdefgh", 8);
        for (int i = 8; i < 1024 * 1024; i++)
                ASSERT_EQ(p[i], 0);
        ASSERT_TRUE(GlobalHandle(p) == mem);
        ASSERT_FALSE(GlobalUnlock(mem));
        ASSERT_NULL(GlobalFree(mem));
        ASSERT_NULL(GlobalHandle(p));
}

/* Many blocks: the registry grows and finds each by handle and by data. */
TEST(global_many_blocks) {
        enum { N = 3000 };
        static HGLOBAL mem[N];
        static void *data[N];

        for (int i = 0; i < N; i++) {
                mem[i] = GlobalAlloc(i % 2 ? GMEM_MOVEABLE : GMEM_FIXED, (SIZE_T)i + 1);
                ASSERT_NOT_NULL(mem[i]);
                data[i] = GlobalLock(mem[i]);
                ASSERT_NOT_NULL(data[i]);
        }
        for (int i = 0; i < N; i++) {
                ASSERT_EQ(GlobalSize(mem[i]), i + 1);
                ASSERT_TRUE(GlobalHandle(data[i]) == mem[i]);
                GlobalUnlock(mem[i]);
        }
        for (int i = 0; i < N; i++)
                ASSERT_NULL(GlobalFree(mem[i]));
        for (int i = 0; i < N; i++)
                ASSERT_EQ(GlobalSize(mem[i]), 0);
}

static int oom_global(void *ctx) {
        HGLOBAL a, b, tmp;

        a = GlobalAlloc(GMEM_FIXED, 64);
        if (!a)
                return -ENOMEM;
        b = GlobalAlloc(GHND, 64);
        if (!b)
                goto out_free_a;
        tmp = GlobalReAlloc(b, 100000, GMEM_MOVEABLE);
        if (!tmp)
                goto out_free_b;
        tmp = GlobalReAlloc(a, 100000, GMEM_MOVEABLE);
        if (!tmp)
                goto out_free_b;
        GlobalFree(tmp);
        GlobalFree(b);
        return 0;

out_free_b:
        GlobalFree(b);
out_free_a:
        GlobalFree(a);
        return -ENOMEM;
}

TEST(global_out_of_memory) {
        ASSERT_GT(ASSERT_OOM_LOOP(oom_global, NULL, NULL), 0);
}

/* --- the stream: Wine's test_streamonhglobal -------------------------------------------- */

TEST(stream_seek_read_write) {
        static const char data[] = "Test String";
        char buffer[128];
        ULARGE_INTEGER ull;
        ULONGLONG pos;
        STATSTG statstg;
        IStream *s;
        ULONG read;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(IStream_SetSize(s, usize(sizeof(data))), S_OK);
        ASSERT_HR_EQ(stream_write(s, data, sizeof(data), NULL), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);

        /* S_OK, not S_FALSE, for a short read */
        ASSERT_HR_EQ(stream_read(s, buffer, sizeof(buffer), &read), S_OK);
        ASSERT_EQ(read, sizeof(data));
        ASSERT_STR_EQ(buffer, data);

        /* SetSize ignores HighPart: this is SetSize(0) */
        ASSERT_HR_EQ(IStream_SetSize(s, uparts(0xFFFFFFFF, 0)), S_OK);
        ASSERT_EQ(stat_size(s), 0);

        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_CUR, NULL), S_OK);
        ASSERT_HR_EQ(seek(s, 0, STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, sizeof(data));                   /* the position survives SetSize */

        /* an invalid origin: STG_E_SEEKERROR, and the position is reported */
        ASSERT_HR_EQ(seek(s, 123, STREAM_SEEK_END + 1, &pos), STG_E_SEEKERROR);
        ASSERT_EQ(pos, sizeof(data));

        ASSERT_HR_EQ(seek(s, 0, STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_EQ(pos, 0);
        ASSERT_HR_EQ(seek(s, 0, STREAM_SEEK_END, &pos), S_OK);
        ASSERT_EQ(pos, 0);

        /* the move's HighPart is ignored, from the current position and from the start */
        ASSERT_HR_EQ(seek(s, sizeof(data), STREAM_SEEK_SET, &pos), S_OK);
        ull.QuadPart = SENTINEL;
        ASSERT_HR_EQ(IStream_Seek(s, parts(0xFFFFFFFF, 0), STREAM_SEEK_CUR, &ull), S_OK);
        ASSERT_EQ(ull.QuadPart, sizeof(data));
        ull.QuadPart = SENTINEL;
        ASSERT_HR_EQ(IStream_Seek(s, parts(0xFFFFFFFF, 0), STREAM_SEEK_SET, &ull), S_OK);
        ASSERT_EQ(ull.QuadPart, 0);

        /* LowPart is signed: 0x80000000 from 12 is before the start */
        ASSERT_HR_EQ(seek(s, sizeof(data), STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_HR_EQ(seek(s, 0x80000000, STREAM_SEEK_CUR, &pos), STG_E_SEEKERROR);
        ASSERT_EQ(pos, sizeof(data));

        /* back exactly to the start, and one byte more */
        ASSERT_HR_EQ(seek(s, -(DWORD)sizeof(data), STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, 0);
        ASSERT_HR_EQ(seek(s, sizeof(data), STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_HR_EQ(seek(s, -(DWORD)sizeof(data) - 1, STREAM_SEEK_CUR, &pos), STG_E_SEEKERROR);
        ASSERT_EQ(pos, sizeof(data));

        /* forward to 0x80000000 */
        ASSERT_HR_EQ(seek(s, 0x80000000 - sizeof(data), STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, 0x80000000);

        /* SET to 0x80000000 is a negative move */
        ASSERT_HR_EQ(seek(s, sizeof(data), STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_HR_EQ(seek(s, 0x80000000, STREAM_SEEK_SET, &pos), STG_E_SEEKERROR);
        ASSERT_EQ(pos, sizeof(data));

        ASSERT_HR_EQ(seek(s, 0x7FFFFFFF, STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_EQ(pos, 0x7FFFFFFF);
        ASSERT_HR_EQ(seek(s, 0, STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_HR_EQ(seek(s, 0x7FFFFFFF, STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, 0x7FFFFFFF);
        /* a second seek goes past 0x7FFFFFFF */
        ASSERT_HR_EQ(seek(s, 9, STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, 0x80000008);
        /* past 4 GiB: refused (Windows 8 and later; older versions wrapped to 7) */
        ASSERT_HR_EQ(seek(s, 0x7FFFFFFF, STREAM_SEEK_CUR, &pos), STG_E_SEEKERROR);
        ASSERT_EQ(pos, 0x80000008);

        ASSERT_HR_EQ(IStream_Commit(s, STGC_DEFAULT), S_OK);
        ASSERT_HR_EQ(IStream_Revert(s), S_OK);
        ASSERT_HR_EQ(IStream_LockRegion(s, usize(0), usize(8), LOCK_WRITE), STG_E_INVALIDFUNCTION);
        ASSERT_HR_EQ(IStream_UnlockRegion(s, usize(0), usize(8), LOCK_WRITE),
                     STG_E_INVALIDFUNCTION);

        ASSERT_HR_EQ(IStream_Stat(s, &statstg, STATFLAG_DEFAULT), S_OK);
        ASSERT_EQ(statstg.type, STGTY_STREAM);

        /* "the OOM condition": HighPart ignored again, so this is SetSize(0) */
        ASSERT_HR_EQ(IStream_SetSize(s, uparts(0xFFFFFFFF, 0)), S_OK);

        ASSERT_EQ(IStream_Release(s), 0);
}

/* --- CopyTo: Wine's test_copyto, against a stream that records its calls ---------------- */

struct test_stream {
        IStream IStream_iface;
        int writes, others;
        ULONG report;                   /* what Write says it wrote; 0: all */
        HRESULT write_hr;
        char got[64];
        size_t n;
};

static struct test_stream *test_stream_of(IStream *iface) {
        return (struct test_stream *)iface;
}

static HRESULT STDMETHODCALLTYPE ts_qi(IStream *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) ||
            IsEqualIID(riid, &IID_IStream)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ts_addref(IStream *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE ts_release(IStream *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE ts_read(IStream *iface, void *pv, ULONG cb, ULONG *pcb) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_write(IStream *iface, const void *pv, ULONG cb,
                                          ULONG *pcb) {
        struct test_stream *t = test_stream_of(iface);

        t->writes++;
        if (FAILED(t->write_hr))
                return t->write_hr;
        if (t->n + cb <= sizeof(t->got)) {
                memcpy(t->got + t->n, pv, cb);
                t->n += cb;
        }
        *pcb = t->report ? t->report : cb;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ts_seek(IStream *iface, LARGE_INTEGER move, DWORD origin,
                                         ULARGE_INTEGER *pos) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_setsize(IStream *iface, ULARGE_INTEGER size) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_copyto(IStream *iface, IStream *to, ULARGE_INTEGER cb,
                                           ULARGE_INTEGER *r, ULARGE_INTEGER *w) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_commit(IStream *iface, DWORD flags) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_revert(IStream *iface) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_lock(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb,
                                         DWORD type) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_stat(IStream *iface, STATSTG *st, DWORD flags) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_clone(IStream *iface, IStream **ret) {
        test_stream_of(iface)->others++;
        return E_NOTIMPL;
}

static const IStreamVtbl ts_vtbl = {
        ts_qi, ts_addref, ts_release, ts_read, ts_write, ts_seek, ts_setsize, ts_copyto,
        ts_commit, ts_revert, ts_lock, ts_lock /* UnlockRegion */, ts_stat, ts_clone,
};

TEST(stream_copyto) {
        static const char hello[] = "Hello";
        struct test_stream t = { .IStream_iface = { &ts_vtbl }, .report = 5 };
        ULARGE_INTEGER nread, nwritten;
        IStream *s, *clone;
        char buffer[15];
        ULONG written;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(stream_write(s, hello, sizeof(hello), &written), S_OK);
        ASSERT_EQ(written, sizeof(hello));
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);

        /* one Write of what was read; the counts are what was read and what Write said */
        ASSERT_HR_EQ(IStream_CopyTo(s, &t.IStream_iface, usize(sizeof(hello)), &nread, &nwritten),
                     S_OK);
        ASSERT_EQ(nwritten.QuadPart, 5);
        ASSERT_EQ(nread.QuadPart, sizeof(hello));
        ASSERT_EQ(t.writes, 1);
        ASSERT_EQ(t.others, 0);
        ASSERT_MEM_EQ(t.got, hello, sizeof(hello));

        /* the clone starts at the stream's position */
        ASSERT_HR_EQ(IStream_Clone(s, &clone), S_OK);
        ASSERT_EQ(position(clone), sizeof(hello));
        ASSERT_HR_EQ(IStream_Seek(clone, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_read(clone, buffer, sizeof(buffer), NULL), S_OK);
        ASSERT_STR_EQ(buffer, hello);

        ASSERT_EQ(IStream_Release(clone), 0);
        ASSERT_EQ(IStream_Release(s), 0);
}

TEST(stream_copyto_more) {
        struct test_stream t = { .IStream_iface = { &ts_vtbl }, .write_hr = STG_E_MEDIUMFULL };
        static char big[10000];
        ULARGE_INTEGER nread, nwritten;
        IStream *s, *clone;
        char buffer[32];

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(IStream_CopyTo(s, NULL, usize(1), NULL, NULL), STG_E_INVALIDPOINTER);

        /* to a clone of itself: the HGLOBAL grows (and may move) under the copy */
        ASSERT_HR_EQ(stream_write(s, "Hello World", 11, NULL), S_OK);
        ASSERT_HR_EQ(IStream_Clone(s, &clone), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(IStream_CopyTo(s, clone, usize(100), &nread, &nwritten), S_OK);
        ASSERT_EQ(nread.QuadPart, 11);
        ASSERT_EQ(nwritten.QuadPart, 11);
        ASSERT_EQ(stat_size(s), 22);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_read(s, buffer, 22, NULL), S_OK);
        ASSERT_MEM_EQ(buffer, "Hello WorldHello World", 22);
        ASSERT_EQ(IStream_Release(clone), 0);

        /* more than one chunk, cb smaller than what there is */
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char)(i * 7);
        ASSERT_HR_EQ(IStream_SetSize(s, usize(0)), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_write(s, big, sizeof(big), NULL), S_OK);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &clone), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(IStream_CopyTo(s, clone, usize(9000), &nread, &nwritten), S_OK);
        ASSERT_EQ(nread.QuadPart, 9000);
        ASSERT_EQ(nwritten.QuadPart, 9000);
        ASSERT_EQ(position(s), 9000);
        ASSERT_EQ(stat_size(clone), 9000);
        {
                HGLOBAL h = hglobal_of(clone);
                const char *p = GlobalLock(h);
                ASSERT_MEM_EQ(p, big, 9000);
                GlobalUnlock(h);
        }
        ASSERT_EQ(IStream_Release(clone), 0);

        /* a failing Write ends the copy with its HRESULT */
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(IStream_CopyTo(s, &t.IStream_iface, usize(100), &nread, &nwritten),
                     STG_E_MEDIUMFULL);
        ASSERT_EQ(t.writes, 1);
        ASSERT_EQ(nread.QuadPart, 100);
        ASSERT_EQ(nwritten.QuadPart, 0);

        /* at the end: nothing to copy, nothing written */
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_END, NULL), S_OK);
        ASSERT_HR_EQ(IStream_CopyTo(s, &t.IStream_iface, usize(100), &nread, &nwritten), S_OK);
        ASSERT_EQ(t.writes, 1);
        ASSERT_EQ(nread.QuadPart, 0);
        ASSERT_EQ(nwritten.QuadPart, 0);

        ASSERT_EQ(IStream_Release(s), 0);
}

/* --- Wine's test_freed_hglobal ------------------------------------------------------------ */

TEST(stream_freed_hglobal) {
        static const char teststring[] = "this is a test string";
        char buffer[sizeof(teststring) + 8];
        HGLOBAL hglobal;
        ULONG read, written;
        IStream *s;
        char *p;

        hglobal = GlobalAlloc(GMEM_DDESHARE | GMEM_NODISCARD | GMEM_MOVEABLE,
                              strlen(teststring) + 1);
        ASSERT_NOT_NULL(hglobal);
        p = GlobalLock(hglobal);
        strcpy(p, teststring);
        GlobalUnlock(hglobal);

        ASSERT_HR_EQ(CreateStreamOnHGlobal(hglobal, FALSE, &s), S_OK);
        ASSERT_HR_EQ(stream_read(s, buffer, sizeof(buffer), &read), S_OK);
        ASSERT_STR_EQ(buffer, teststring);
        ASSERT_EQ(read, sizeof(teststring));

        ASSERT_NULL(GlobalFree(hglobal));

        memset(buffer, 0, sizeof(buffer));
        read = 12345;
        ASSERT_HR_EQ(stream_read(s, buffer, sizeof(buffer), &read), S_OK);
        ASSERT_EQ(buffer[0], 0);
        ASSERT_EQ(read, 0);

        ASSERT_HR_EQ(IStream_SetSize(s, usize(sizeof(buffer))), E_OUTOFMEMORY);
        written = 12345;
        ASSERT_HR_EQ(stream_write(s, buffer, sizeof(buffer), &written), E_OUTOFMEMORY);
        ASSERT_EQ(written, 0);

        /* nor within the old size, nor read there */
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_write(s, buffer, 4, &written), E_OUTOFMEMORY);
        ASSERT_EQ(written, 0);
        ASSERT_HR_EQ(stream_read(s, buffer, sizeof(buffer), &read), S_OK);
        ASSERT_EQ(read, 0);

        ASSERT_EQ(IStream_Release(s), 0);
}

/* --- Wine's test_IStream_Clone ------------------------------------------------------------ */

static void stream_info(IStream *s, HGLOBAL *hmem, ULONGLONG *size, ULONGLONG *pos) {
        STATSTG st;

        *hmem = hglobal_of(s);
        memset(&st, 0x55, sizeof(st));
        ASSERT_HR_EQ(IStream_Stat(s, &st, STATFLAG_DEFAULT), S_OK);
        ASSERT_EQ(st.type, STGTY_STREAM);
        ASSERT_NULL(st.pwcsName);
        ASSERT_TRUE(IsEqualIID(&st.clsid, &GUID_NULL));
        ASSERT_EQ(st.cbSize.QuadPart >> 32, 0);
        *size = st.cbSize.QuadPart;
        *pos = position(s);
}

TEST(stream_clone) {
        static const char hello[] = "Hello World!";
        HGLOBAL orig_hmem, hmem, hmem_clone;
        ULONGLONG size, pos;
        IStream *s, *clone;
        char buf[32];

        /* the simple case */
        orig_hmem = GlobalAlloc(GMEM_MOVEABLE, 0);
        ASSERT_NOT_NULL(orig_hmem);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(orig_hmem, TRUE, &s), S_OK);
        ASSERT_HR_EQ(GetHGlobalFromStream(s, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(GetHGlobalFromStream(NULL, &hmem), E_INVALIDARG);

        stream_info(s, &hmem, &size, &pos);
        ASSERT_TRUE(hmem == orig_hmem);
        ASSERT_EQ(size, 0);
        ASSERT_EQ(pos, 0);

        ASSERT_HR_EQ(IStream_Clone(s, &clone), S_OK);
        ASSERT_HR_EQ(stream_write(s, hello, sizeof(hello), NULL), S_OK);

        stream_info(s, &hmem, &size, &pos);
        ASSERT_TRUE(hmem == orig_hmem);
        ASSERT_EQ(size, 13);
        ASSERT_EQ(pos, 13);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 13);
        ASSERT_EQ(pos, 0);

        buf[0] = 0;
        ASSERT_HR_EQ(stream_read(clone, buf, sizeof(buf), NULL), S_OK);
        ASSERT_STR_EQ(buf, hello);

        ASSERT_HR_EQ(IStream_SetSize(s, usize(0x8000)), S_OK);
        stream_info(s, &hmem, &size, &pos);
        ASSERT_TRUE(hmem == orig_hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 13);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 13);

        ASSERT_EQ(IStream_Release(clone), 0);
        ASSERT_EQ(IStream_Release(s), 0);
        ASSERT_EQ(GlobalSize(orig_hmem), 0);            /* freed with the last sharer */

        /* a GMEM_FIXED block must move to grow: both streams see the new one */
        orig_hmem = GlobalAlloc(GMEM_FIXED, 1);
        ASSERT_NOT_NULL(orig_hmem);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(orig_hmem, TRUE, &s), S_OK);
        ASSERT_HR_EQ(IStream_Clone(s, &clone), S_OK);

        stream_info(s, &hmem, &size, &pos);
        ASSERT_TRUE(hmem == orig_hmem);
        ASSERT_EQ(size, 1);
        ASSERT_EQ(pos, 0);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 1);
        ASSERT_EQ(pos, 0);

        ASSERT_HR_EQ(IStream_SetSize(s, usize(0x8000)), S_OK);
        stream_info(s, &hmem, &size, &pos);
        ASSERT_NOT_NULL(hmem);
        ASSERT_TRUE(hmem != orig_hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 0);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 0);

        ASSERT_EQ(IStream_Release(s), 0);
        ASSERT_EQ(IStream_Release(clone), 0);

        /* the clone outlives the stream it came from */
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(IStream_Clone(s, &clone), S_OK);
        stream_info(s, &hmem, &size, &pos);
        ASSERT_NOT_NULL(hmem);
        ASSERT_EQ(size, 0);
        ASSERT_EQ(pos, 0);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0);
        ASSERT_EQ(pos, 0);

        ASSERT_EQ(IStream_Release(s), 0);

        ASSERT_HR_EQ(IStream_SetSize(clone, usize(0x8000)), S_OK);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 0);

        ASSERT_HR_EQ(stream_write(clone, hello, sizeof(hello), NULL), S_OK);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 13);

        ASSERT_HR_EQ(IStream_Seek(clone, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        buf[0] = 0;
        ASSERT_HR_EQ(stream_read(clone, buf, sizeof(buf), NULL), S_OK);
        ASSERT_STR_EQ(buf, hello);
        stream_info(clone, &hmem_clone, &size, &pos);
        ASSERT_TRUE(hmem_clone == hmem);
        ASSERT_EQ(size, 0x8000);
        ASSERT_EQ(pos, 32);

        ASSERT_EQ(IStream_Release(clone), 0);
        ASSERT_EQ(GlobalSize(hmem), 0);
}

/* --- beyond Wine's tests ------------------------------------------------------------------ */

TEST(stream_arguments_and_interfaces) {
        struct test_stream t = { .IStream_iface = { &ts_vtbl } };
        ISequentialStream *seq;
        IUnknown *unk;
        HGLOBAL h = (HGLOBAL)1;
        IStream *s, *s2;
        void *p;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);

        /* not a stream CreateStreamOnHGlobal made */
        ASSERT_HR_EQ(GetHGlobalFromStream(&t.IStream_iface, &h), E_INVALIDARG);

        ASSERT_HR_EQ(IStream_QueryInterface(s, &IID_IUnknown, (void **)&unk), S_OK);
        ASSERT_TRUE((void *)unk == (void *)s);
        ASSERT_HR_EQ(IStream_QueryInterface(s, &IID_ISequentialStream, (void **)&seq), S_OK);
        ASSERT_TRUE((void *)seq == (void *)s);
        ASSERT_HR_EQ(IStream_QueryInterface(s, &IID_IStream, (void **)&s2), S_OK);
        ASSERT_TRUE(s2 == s);
        p = (void *)1;
        ASSERT_HR_EQ(IStream_QueryInterface(s, &IID_IMalloc, &p), E_NOINTERFACE);
        ASSERT_NULL(p);
        ASSERT_HR_EQ(IStream_QueryInterface(s, &IID_IStream, NULL), E_POINTER);
        ASSERT_EQ(IStream_AddRef(s), 5);
        ASSERT_EQ(IStream_Release(s), 4);
        ASSERT_EQ(ISequentialStream_Release(seq), 3);
        ASSERT_EQ(IUnknown_Release(unk), 2);
        ASSERT_EQ(IStream_Release(s2), 1);

        ASSERT_HR_EQ(stream_read(s, NULL, 1, NULL), STG_E_INVALIDPOINTER);
        ASSERT_HR_EQ(stream_write(s, NULL, 1, NULL), STG_E_INVALIDPOINTER);
        ASSERT_HR_EQ(stream_read(s, NULL, 0, NULL), S_OK);
        ASSERT_HR_EQ(stream_write(s, NULL, 0, NULL), S_OK);
        ASSERT_HR_EQ(stream_write(s, "abc", 3, NULL), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_read(s, NULL, 0, NULL), S_OK);     /* with data there */
        ASSERT_EQ(position(s), 0);
        ASSERT_HR_EQ(IStream_Stat(s, NULL, STATFLAG_DEFAULT), STG_E_INVALIDPOINTER);
        ASSERT_HR_EQ(IStream_Clone(s, NULL), STG_E_INVALIDPOINTER);

        ASSERT_EQ(IStream_Release(s), 0);
}

TEST(stream_stat) {
        STATSTG st;
        IStream *s;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(stream_write(s, "abc", 3, NULL), S_OK);
        for (DWORD flag = STATFLAG_DEFAULT; flag <= STATFLAG_NONAME; flag++) {
                memset(&st, 0x55, sizeof(st));
                ASSERT_HR_EQ(IStream_Stat(s, &st, flag), S_OK);
                ASSERT_NULL(st.pwcsName);
                ASSERT_EQ(st.type, STGTY_STREAM);
                ASSERT_EQ(st.cbSize.QuadPart, 3);
                ASSERT_EQ(st.grfMode, 0);
                ASSERT_EQ(st.grfLocksSupported, 0);
                ASSERT_TRUE(IsEqualCLSID(&st.clsid, &CLSID_NULL));
                ASSERT_EQ(st.mtime.dwLowDateTime | st.mtime.dwHighDateTime, 0);
        }
        ASSERT_EQ(IStream_Release(s), 0);
}

TEST(stream_on_existing_hglobal) {
        HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 5);
        char buf[8] = { 0 };
        ULONG n;
        IStream *s;
        char *p;

        ASSERT_NOT_NULL(h);
        p = GlobalLock(h);
        memcpy(p, "12345", 5);
        GlobalUnlock(h);

        /* the stream starts at 0 with the block's size, and leaves it alive */
        ASSERT_HR_EQ(CreateStreamOnHGlobal(h, FALSE, &s), S_OK);
        ASSERT_TRUE(hglobal_of(s) == h);
        ASSERT_EQ(stat_size(s), 5);
        ASSERT_EQ(position(s), 0);
        ASSERT_HR_EQ(stream_read(s, buf, 3, &n), S_OK);
        ASSERT_EQ(n, 3);
        ASSERT_STR_EQ(buf, "123");
        ASSERT_HR_EQ(stream_write(s, "abcd", 4, &n), S_OK);
        ASSERT_EQ(n, 4);
        ASSERT_EQ(stat_size(s), 7);
        ASSERT_EQ(IStream_Release(s), 0);

        ASSERT_EQ(GlobalSize(h), 7);
        p = GlobalLock(h);
        ASSERT_MEM_EQ(p, "123abcd", 7);
        GlobalUnlock(h);
        ASSERT_NULL(GlobalFree(h));

        /* hglobal NULL, fDeleteOnRelease FALSE: the caller frees what the stream made */
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, FALSE, &s), S_OK);
        ASSERT_HR_EQ(stream_write(s, "xyz", 3, NULL), S_OK);
        h = hglobal_of(s);
        ASSERT_EQ(IStream_Release(s), 0);
        ASSERT_EQ(GlobalSize(h), 3);
        ASSERT_NULL(GlobalFree(h));
}

TEST(stream_write_past_end_grows_and_zeroes_the_gap) {
        unsigned char buf[64];
        ULONGLONG pos;
        ULONG n;
        IStream *s;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(stream_write(s, "ab", 2, NULL), S_OK);
        ASSERT_HR_EQ(seek(s, 10, STREAM_SEEK_END, &pos), S_OK);
        ASSERT_EQ(pos, 12);
        ASSERT_EQ(stat_size(s), 2);                     /* seeking does not grow */

        /* reading past the end: S_OK, nothing */
        n = 99;
        ASSERT_HR_EQ(stream_read(s, buf, sizeof(buf), &n), S_OK);
        ASSERT_EQ(n, 0);
        ASSERT_EQ(position(s), 12);

        ASSERT_HR_EQ(stream_write(s, "cd", 2, &n), S_OK);
        ASSERT_EQ(n, 2);
        ASSERT_EQ(stat_size(s), 14);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        memset(buf, 0xAA, sizeof(buf));
        ASSERT_HR_EQ(stream_read(s, buf, sizeof(buf), &n), S_OK);
        ASSERT_EQ(n, 14);
        ASSERT_MEM_EQ(buf, "ab\0\0\0\0\0\0\0\0\0\0cd", 14);
        ASSERT_EQ(buf[14], 0xAA);

        /* shrinking keeps the position; growing again gives zeros, not the old bytes */
        ASSERT_HR_EQ(IStream_SetSize(s, usize(1)), S_OK);
        ASSERT_EQ(position(s), 14);
        ASSERT_HR_EQ(IStream_SetSize(s, usize(4)), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(stream_read(s, buf, sizeof(buf), &n), S_OK);
        ASSERT_EQ(n, 4);
        ASSERT_MEM_EQ(buf, "a\0\0\0", 4);

        /* many small writes, as marshaling makes */
        ASSERT_HR_EQ(IStream_SetSize(s, usize(0)), S_OK);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        for (uint32_t i = 0; i < 10000; i++)
                ASSERT_HR_EQ(stream_write(s, &i, sizeof(i), NULL), S_OK);
        ASSERT_EQ(stat_size(s), 40000);
        ASSERT_HR_EQ(IStream_Seek(s, parts(0, 0), STREAM_SEEK_SET, NULL), S_OK);
        for (uint32_t i = 0, v; i < 10000; i++) {
                ASSERT_HR_EQ(stream_read(s, &v, sizeof(v), &n), S_OK);
                ASSERT_EQ(n, 4);
                ASSERT_EQ(v, i);
        }
        ASSERT_EQ(IStream_Release(s), 0);
}

/* A write that would end past 4 GiB fails before allocating anything. */
TEST(stream_write_past_4gib) {
        char buf[32] = { 0 };
        ULONGLONG pos;
        ULONG n = 99;
        IStream *s;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        ASSERT_HR_EQ(seek(s, 0xFFFFFFF0, STREAM_SEEK_CUR, &pos), STG_E_SEEKERROR); /* negative */
        ASSERT_HR_EQ(seek(s, 0x7FFFFFF0, STREAM_SEEK_SET, &pos), S_OK);
        ASSERT_HR_EQ(seek(s, 0x7FFFFFFF, STREAM_SEEK_CUR, &pos), S_OK);
        ASSERT_EQ(pos, 0xFFFFFFEF);
        ASSERT_HR_EQ(stream_write(s, buf, sizeof(buf), &n), STG_E_MEDIUMFULL);
        ASSERT_EQ(n, 0);
        ASSERT_EQ(stat_size(s), 0);
        ASSERT_EQ(position(s), 0xFFFFFFEF);
        ASSERT_EQ(IStream_Release(s), 0);
}

/* Threads share a stream: references, clones, and writes into one HGLOBAL. */
enum { THREADS = 8, CHUNK = 1024, ROUNDS = 50 };

struct worker {
        IStream *stream;
        int id;
        HRESULT hr;
};

static void *worker_main(void *arg) {
        struct worker *w = arg;
        unsigned char chunk[CHUNK];
        IStream *clone;

        memset(chunk, w->id + 1, sizeof(chunk));
        for (int round = 0; round < ROUNDS; round++) {
                IStream_AddRef(w->stream);
                w->hr = IStream_Clone(w->stream, &clone);
                IStream_Release(w->stream);
                if (FAILED(w->hr))
                        return NULL;
                w->hr = IStream_Seek(clone, parts(0, (DWORD)(w->id * CHUNK)), STREAM_SEEK_SET,
                                     NULL);
                if (SUCCEEDED(w->hr))
                        w->hr = stream_write(clone, chunk, sizeof(chunk), NULL);
                IStream_Release(clone);
                if (FAILED(w->hr))
                        return NULL;
        }
        return NULL;
}

TEST(stream_threads) {
        struct worker w[THREADS];
        pthread_t t[THREADS];
        unsigned char *p;
        IStream *s;
        HGLOBAL h;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        for (int i = 0; i < THREADS; i++) {
                w[i] = (struct worker){ s, i, S_OK };
                ASSERT_EQ(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
                pthread_join(t[i], NULL);
                ASSERT_HR_EQ(w[i].hr, S_OK);
        }
        ASSERT_EQ(IStream_AddRef(s), 2);
        ASSERT_EQ(IStream_Release(s), 1);
        ASSERT_EQ(stat_size(s), THREADS * CHUNK);
        h = hglobal_of(s);
        p = GlobalLock(h);
        for (int i = 0; i < THREADS * CHUNK; i++)
                ASSERT_EQ(p[i], i / CHUNK + 1);
        GlobalUnlock(h);
        ASSERT_EQ(IStream_Release(s), 0);
}

/* ASSERT_OOM_LOOP wants a negative errno when a call fails. */
static int oom_stream(void *ctx) {
        static const char data[6000] = "some bytes";
        IStream *s, *clone;
        HGLOBAL h;
        int r = -ENOMEM;

        if (CreateStreamOnHGlobal(NULL, TRUE, &s) != S_OK)
                return -ENOMEM;
        if (stream_write(s, data, 100, NULL) != S_OK)
                goto out_release;
        if (IStream_Clone(s, &clone) != S_OK)
                goto out_release;
        if (stream_write(clone, data, sizeof(data), NULL) != S_OK)
                goto out_release_clone;
        if (IStream_SetSize(s, usize(50000)) != S_OK)
                goto out_release_clone;
        r = GetHGlobalFromStream(clone, &h) == S_OK && GlobalSize(h) == 50000 ? 0 : -EINVAL;
out_release_clone:
        IStream_Release(clone);
out_release:
        IStream_Release(s);
        return r;
}

TEST(stream_out_of_memory) {
        ASSERT_GT(ASSERT_OOM_LOOP(oom_stream, NULL, NULL), 0);
}

/* CoMarshalHresult / CoUnmarshalHresult: four bytes, little-endian, and a short stream. */
TEST(hresult_in_a_stream) {
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ULARGE_INTEGER pos;
        HRESULT hr = S_OK;
        uint8_t b[4];
        ULONG n = 0;

        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalHresult(stm, E_ACCESSDENIED));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_CUR, &pos));
        ASSERT_EQ(pos.QuadPart, 4);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(IStream_Read(stm, b, 4, &n));
        ASSERT_EQ(n, 4);
        ASSERT_EQ(b[0], 0x05);                  /* 0x80070005 */
        ASSERT_EQ(b[3], 0x80);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalHresult(stm, &hr));
        ASSERT_HR_EQ(hr, E_ACCESSDENIED);
        /* nothing more to read */
        ASSERT_HR_EQ(CoUnmarshalHresult(stm, &hr), STG_E_READFAULT);
        ASSERT_HR_EQ(CoUnmarshalHresult(NULL, &hr), E_INVALIDARG);
        ASSERT_HR_EQ(CoUnmarshalHresult(stm, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CoMarshalHresult(NULL, S_OK), E_INVALIDARG);
        ASSERT_FALSE(CoIsOle1Class(&IID_IUnknown));
        IStream_Release(stm);
}
