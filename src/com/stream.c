/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CreateStreamOnHGlobal: an IStream over an HGLOBAL (hglobal.c), the memory stream COM
 * marshaling writes OBJREFs to.  Its behaviour follows what Wine's conformance tests
 * (dlls/ole32/tests/hglobalstream.c) record for Windows:
 *
 *  - the stream is at most 4 GiB: positions and sizes are 32-bit, Seek and SetSize use
 *    only the low 32 bits of their argument (Seek's as signed), and a Seek to before 0 or
 *    past 4 GiB fails with STG_E_SEEKERROR, leaving the position as it was and reporting
 *    it (Windows 8 and later; older versions wrapped);
 *  - Read past the end reads what there is and still answers S_OK;
 *  - Write past the end grows the HGLOBAL (GlobalReAlloc with GMEM_MOVEABLE, so a
 *    GMEM_FIXED block may be replaced); the bytes it gains are zeroed here, so a gap left
 *    by seeking past the end reads as zeros rather than old heap contents;
 *  - a stream and its clones share the HGLOBAL and size, each with its own position;
 *    the HGLOBAL is freed with the last of them when fDeleteOnRelease was set;
 *  - an HGLOBAL freed behind the stream's back reads as empty, and writes and SetSize
 *    fail with E_OUTOFMEMORY (hglobal.c refuses stale handles);
 *  - Commit and Revert do nothing, LockRegion and UnlockRegion are not supported.
 *
 * Reference counts are atomic; one mutex per shared HGLOBAL orders the sharers' calls,
 * so a stream and its clones may be used from several threads.
 */
#include <string.h>

#include "com/com-internal.h"

/* What a stream and its clones share. */
struct hglobal_shared {
        atomic_uint ref;
        pthread_mutex_t lock;           /* hglobal, size, and the sharers' positions */
        HGLOBAL hglobal;
        ULONG size;
        bool delete_on_release;
};

struct hglobal_stream {
        IStream IStream_iface;
        atomic_uint ref;
        struct hglobal_shared *shared;
        ULONG position;
};

static const IStreamVtbl stream_vtbl;

static struct hglobal_stream *impl_from_IStream(IStream *iface) {
        return CONTAINING_RECORD(iface, struct hglobal_stream, IStream_iface);
}

static void shared_unref(struct hglobal_shared *shared) {
        if (atomic_fetch_sub(&shared->ref, 1) != 1)
                return;
        if (shared->delete_on_release)
                GlobalFree(shared->hglobal);
        pthread_mutex_destroy(&shared->lock);
        dcom_free(shared);
}

/* A new stream on shared (taking a reference to it), at position. */
static struct hglobal_stream *stream_new(struct hglobal_shared *shared, ULONG position) {
        struct hglobal_stream *stream = dcom_calloc(1, sizeof(*stream));

        if (!stream)
                return NULL;
        stream->IStream_iface.lpVtbl = &stream_vtbl;
        atomic_init(&stream->ref, 1);
        atomic_fetch_add(&shared->ref, 1);
        stream->shared = shared;
        stream->position = position;
        return stream;
}

static HRESULT STDMETHODCALLTYPE stream_qi(IStream *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) ||
            IsEqualIID(riid, &IID_IStream)) {
                iface->lpVtbl->AddRef(iface);
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE stream_addref(IStream *iface) {
        return atomic_fetch_add(&impl_from_IStream(iface)->ref, 1) + 1;
}

static ULONG STDMETHODCALLTYPE stream_release(IStream *iface) {
        struct hglobal_stream *stream = impl_from_IStream(iface);
        ULONG ref = atomic_fetch_sub(&stream->ref, 1) - 1;

        if (ref == 0) {
                shared_unref(stream->shared);
                dcom_free(stream);
        }
        return ref;
}

/* Reads up to cb bytes at the position: how many it read (0 when the HGLOBAL is gone). */
static ULONG read_at_position(struct hglobal_stream *stream, void *pv, ULONG cb) {
        struct hglobal_shared *shared = stream->shared;
        ULONG n = 0;
        char *data;

        pthread_mutex_lock(&shared->lock);
        if (!cb || stream->position >= shared->size)
                goto out_unlock;
        data = GlobalLock(shared->hglobal);
        if (!data)
                goto out_unlock;
        n = shared->size - stream->position;
        if (n > cb)
                n = cb;
        memcpy(pv, data + stream->position, n);
        GlobalUnlock(shared->hglobal);
        stream->position += n;
out_unlock:
        pthread_mutex_unlock(&shared->lock);
        return n;
}

/* A short read is S_OK too, as on Windows. */
static HRESULT STDMETHODCALLTYPE stream_read(IStream *iface, void *pv, ULONG cb, ULONG *pcbRead) {
        ULONG n;

        if (!pv && cb)
                return STG_E_INVALIDPOINTER;
        n = read_at_position(impl_from_IStream(iface), pv, cb);
        if (pcbRead)
                *pcbRead = n;
        return S_OK;
}

/* The size becomes size (shared's lock held); the bytes gained are zero. */
static HRESULT set_size_locked(struct hglobal_shared *shared, ULONG size) {
        HGLOBAL h;

        if (size == shared->size)
                return S_OK;
        h = GlobalReAlloc(shared->hglobal, size, GMEM_MOVEABLE | GMEM_ZEROINIT);
        if (!h)
                return E_OUTOFMEMORY;
        shared->hglobal = h;
        shared->size = size;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stream_write(IStream *iface, const void *pv, ULONG cb,
                                              ULONG *pcbWritten) {
        struct hglobal_stream *stream = impl_from_IStream(iface);
        struct hglobal_shared *shared = stream->shared;
        HRESULT hr = S_OK;
        uint64_t end;
        char *data;

        if (pcbWritten)
                *pcbWritten = 0;
        if (!cb)
                return S_OK;
        if (!pv)
                return STG_E_INVALIDPOINTER;

        pthread_mutex_lock(&shared->lock);
        end = (uint64_t)stream->position + cb;
        if (end > UINT32_MAX) {
                hr = STG_E_MEDIUMFULL;
                goto out_unlock;
        }
        if (end > shared->size) {
                hr = set_size_locked(shared, (ULONG)end);
                if (FAILED(hr))
                        goto out_unlock;
        }
        /* Within the size, but the HGLOBAL was freed: what growing it would have said. */
        data = GlobalLock(shared->hglobal);
        if (!data) {
                hr = E_OUTOFMEMORY;
                goto out_unlock;
        }
        memcpy(data + stream->position, pv, cb);
        GlobalUnlock(shared->hglobal);
        stream->position = (ULONG)end;
        if (pcbWritten)
                *pcbWritten = cb;
out_unlock:
        pthread_mutex_unlock(&shared->lock);
        return hr;
}

/*
 * The move is the low 32 bits of dlibMove, signed; the high ones are ignored, as on
 * Windows.  Success or failure, *plibNewPosition is the position afterwards.
 */
static HRESULT STDMETHODCALLTYPE stream_seek(IStream *iface, LARGE_INTEGER dlibMove,
                                             DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition) {
        struct hglobal_stream *stream = impl_from_IStream(iface);
        int64_t target;
        HRESULT hr = S_OK;

        pthread_mutex_lock(&stream->shared->lock);
        switch (dwOrigin) {
        case STREAM_SEEK_SET:
                target = 0;
                break;
        case STREAM_SEEK_CUR:
                target = stream->position;
                break;
        case STREAM_SEEK_END:
                target = stream->shared->size;
                break;
        default:
                hr = STG_E_SEEKERROR;
                goto out;
        }
        target += (int32_t)(uint32_t)dlibMove.QuadPart;
        if (target < 0 || target > UINT32_MAX) {
                hr = STG_E_SEEKERROR;
                goto out;
        }
        stream->position = (ULONG)target;
out:
        if (plibNewPosition)
                plibNewPosition->QuadPart = stream->position;
        pthread_mutex_unlock(&stream->shared->lock);
        return hr;
}

/* Only the low 32 bits count, as on Windows; the position stays where it is. */
static HRESULT STDMETHODCALLTYPE stream_setsize(IStream *iface, ULARGE_INTEGER libNewSize) {
        struct hglobal_shared *shared = impl_from_IStream(iface)->shared;
        HRESULT hr;

        pthread_mutex_lock(&shared->lock);
        hr = set_size_locked(shared, (ULONG)libNewSize.QuadPart);
        pthread_mutex_unlock(&shared->lock);
        return hr;
}

/*
 * Reads up to cb bytes and writes each chunk to pstm, through a buffer: pstm may be a
 * clone sharing this HGLOBAL, which its writes can move.  *pcbWritten adds up what pstm
 * reports written; a failed write ends the copy with its HRESULT.
 */
static HRESULT STDMETHODCALLTYPE stream_copyto(IStream *iface, IStream *pstm, ULARGE_INTEGER cb,
                                               ULARGE_INTEGER *pcbRead,
                                               ULARGE_INTEGER *pcbWritten) {
        struct hglobal_stream *stream = impl_from_IStream(iface);
        uint64_t left = cb.QuadPart, total_read = 0, total_written = 0;
        HRESULT hr = S_OK;
        BYTE buf[4096];

        if (!pstm)
                return STG_E_INVALIDPOINTER;
        while (left > 0) {
                ULONG want = left < sizeof(buf) ? (ULONG)left : (ULONG)sizeof(buf);
                ULONG got = read_at_position(stream, buf, want), put = 0;

                if (!got)
                        break;
                total_read += got;
                hr = pstm->lpVtbl->Write(pstm, buf, got, &put);
                if (FAILED(hr))
                        break;
                total_written += put;
                if (got < want)
                        break;
                left -= got;
        }
        if (pcbRead)
                pcbRead->QuadPart = total_read;
        if (pcbWritten)
                pcbWritten->QuadPart = total_written;
        return hr;
}

/* Memory has nothing to commit or revert to. */
static HRESULT STDMETHODCALLTYPE stream_commit(IStream *iface, DWORD grfCommitFlags) {
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stream_revert(IStream *iface) {
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stream_lockregion(IStream *iface, ULARGE_INTEGER libOffset,
                                                   ULARGE_INTEGER cb, DWORD dwLockType) {
        return STG_E_INVALIDFUNCTION;
}

static HRESULT STDMETHODCALLTYPE stream_unlockregion(IStream *iface, ULARGE_INTEGER libOffset,
                                                     ULARGE_INTEGER cb, DWORD dwLockType) {
        return STG_E_INVALIDFUNCTION;
}

/* A memory stream has no name, whatever grfStatFlag says: pwcsName is always NULL. */
static HRESULT STDMETHODCALLTYPE stream_stat(IStream *iface, STATSTG *pstatstg,
                                             DWORD grfStatFlag) {
        struct hglobal_shared *shared = impl_from_IStream(iface)->shared;

        if (!pstatstg)
                return STG_E_INVALIDPOINTER;
        memset(pstatstg, 0, sizeof(*pstatstg));
        pstatstg->type = STGTY_STREAM;
        pthread_mutex_lock(&shared->lock);
        pstatstg->cbSize.QuadPart = shared->size;
        pthread_mutex_unlock(&shared->lock);
        return S_OK;
}

/* The clone shares the HGLOBAL and starts at this stream's position. */
static HRESULT STDMETHODCALLTYPE stream_clone(IStream *iface, IStream **ppstm) {
        struct hglobal_stream *stream = impl_from_IStream(iface), *clone;
        ULONG position;

        if (!ppstm)
                return STG_E_INVALIDPOINTER;
        pthread_mutex_lock(&stream->shared->lock);
        position = stream->position;
        pthread_mutex_unlock(&stream->shared->lock);
        clone = stream_new(stream->shared, position);
        if (!clone)
                return E_OUTOFMEMORY;
        *ppstm = &clone->IStream_iface;
        return S_OK;
}

static const IStreamVtbl stream_vtbl = {
        stream_qi, stream_addref, stream_release, stream_read, stream_write, stream_seek,
        stream_setsize, stream_copyto, stream_commit, stream_revert, stream_lockregion,
        stream_unlockregion, stream_stat, stream_clone,
};

/*
 * hglobal NULL: a new moveable block of size 0.  The stream's size starts as
 * GlobalSize(hglobal).  ret is written only on success.
 */
HRESULT WINAPI CreateStreamOnHGlobal(HGLOBAL hglobal, BOOL delete_on_release, LPSTREAM *ret) {
        struct hglobal_shared *shared;
        struct hglobal_stream *stream;
        HGLOBAL ours = NULL;
        SIZE_T size;

        if (!ret)
                return E_INVALIDARG;
        if (!hglobal) {
                hglobal = ours = GlobalAlloc(GMEM_MOVEABLE | GMEM_NODISCARD | GMEM_SHARE, 0);
                if (!hglobal)
                        return E_OUTOFMEMORY;
        }
        shared = dcom_calloc(1, sizeof(*shared));
        if (!shared)
                goto out_free_hglobal;
        atomic_init(&shared->ref, 0);
        pthread_mutex_init(&shared->lock, NULL);
        shared->hglobal = hglobal;
        size = GlobalSize(hglobal);
        shared->size = size > UINT32_MAX ? UINT32_MAX : (ULONG)size;
        shared->delete_on_release = delete_on_release;
        stream = stream_new(shared, 0);
        if (!stream)
                goto out_free_shared;
        *ret = &stream->IStream_iface;
        return S_OK;

out_free_shared:
        pthread_mutex_destroy(&shared->lock);
        dcom_free(shared);
out_free_hglobal:
        GlobalFree(ours);
        return E_OUTOFMEMORY;
}

/* E_INVALIDARG for NULL arguments and for streams CreateStreamOnHGlobal did not make. */
HRESULT WINAPI GetHGlobalFromStream(LPSTREAM stream, HGLOBAL *ret) {
        struct hglobal_shared *shared;

        if (!stream || !ret || stream->lpVtbl != &stream_vtbl)
                return E_INVALIDARG;
        shared = impl_from_IStream(stream)->shared;
        pthread_mutex_lock(&shared->lock);
        *ret = shared->hglobal;
        pthread_mutex_unlock(&shared->lock);
        return S_OK;
}
