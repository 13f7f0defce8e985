/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error objects: CreateErrorInfo's object (IErrorInfo, ICreateErrorInfo and
 * ISupportErrorInfo), and SetErrorInfo/GetErrorInfo's slot, one per thread -- GetErrorInfo
 * hands the object over and empties the slot (S_FALSE when there is none), as Windows'
 * do (Wine's dlls/oleaut32/tests/errorinfo.c records them).  The slot's object is
 * released when its thread ends.
 *
 * Across processes an error object is an OBJREF_CUSTOM of CLSID_ErrorObject whose data
 * is [MS-DCOM] 2.2.21.2's: oleaut_errorinfo_write()/_read() below; src/com/errorext.c
 * carries it in ORPCTHAT.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "oleaut/oleaut-internal.h"

struct errorinfo {
        IErrorInfo IErrorInfo_iface;
        ICreateErrorInfo ICreateErrorInfo_iface;
        ISupportErrorInfo ISupportErrorInfo_iface;
        atomic_uint refs;
        GUID guid;
        BSTR source, description, help_file;
        DWORD help_context;
};

static struct errorinfo *from_ei(IErrorInfo *iface) {
        return (struct errorinfo *)((char *)iface - offsetof(struct errorinfo, IErrorInfo_iface));
}

static struct errorinfo *from_cei(ICreateErrorInfo *iface) {
        return (struct errorinfo *)((char *)iface -
                                    offsetof(struct errorinfo, ICreateErrorInfo_iface));
}

static struct errorinfo *from_sei(ISupportErrorInfo *iface) {
        return (struct errorinfo *)((char *)iface -
                                    offsetof(struct errorinfo, ISupportErrorInfo_iface));
}

static HRESULT qi(struct errorinfo *e, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IErrorInfo))
                *ppv = &e->IErrorInfo_iface;
        else if (IsEqualIID(riid, &IID_ICreateErrorInfo))
                *ppv = &e->ICreateErrorInfo_iface;
        else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
                *ppv = &e->ISupportErrorInfo_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&e->refs, 1);
        return S_OK;
}

static ULONG addref(struct errorinfo *e) {
        return atomic_fetch_add(&e->refs, 1) + 1;
}

static ULONG release(struct errorinfo *e) {
        ULONG n = atomic_fetch_sub(&e->refs, 1) - 1;

        if (!n) {
                SysFreeString(e->source);
                SysFreeString(e->description);
                SysFreeString(e->help_file);
                dcom_free(e);
        }
        return n;
}

/* --- IErrorInfo ------------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE ei_qi(IErrorInfo *iface, REFIID riid, void **ppv) {
        return qi(from_ei(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE ei_addref(IErrorInfo *iface) {
        return addref(from_ei(iface));
}

static ULONG STDMETHODCALLTYPE ei_release(IErrorInfo *iface) {
        return release(from_ei(iface));
}

static HRESULT STDMETHODCALLTYPE ei_guid(IErrorInfo *iface, GUID *pGUID) {
        if (!pGUID)
                return E_INVALIDARG;
        *pGUID = from_ei(iface)->guid;
        return S_OK;
}

/* A copy of s (NULL stays NULL). */
static HRESULT copy_out(BSTR s, BSTR *ret) {
        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (s && !(*ret = SysAllocStringLen(s, SysStringLen(s))))
                return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ei_source(IErrorInfo *iface, BSTR *pBstrSource) {
        return copy_out(from_ei(iface)->source, pBstrSource);
}

static HRESULT STDMETHODCALLTYPE ei_description(IErrorInfo *iface, BSTR *pBstrDescription) {
        return copy_out(from_ei(iface)->description, pBstrDescription);
}

static HRESULT STDMETHODCALLTYPE ei_help_file(IErrorInfo *iface, BSTR *pBstrHelpFile) {
        return copy_out(from_ei(iface)->help_file, pBstrHelpFile);
}

static HRESULT STDMETHODCALLTYPE ei_help_context(IErrorInfo *iface, DWORD *pdwHelpContext) {
        if (!pdwHelpContext)
                return E_INVALIDARG;
        *pdwHelpContext = from_ei(iface)->help_context;
        return S_OK;
}

static const IErrorInfoVtbl ei_vtbl = {
        ei_qi, ei_addref, ei_release, ei_guid, ei_source, ei_description, ei_help_file,
        ei_help_context,
};

/* --- ICreateErrorInfo ------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE cei_qi(ICreateErrorInfo *iface, REFIID riid, void **ppv) {
        return qi(from_cei(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE cei_addref(ICreateErrorInfo *iface) {
        return addref(from_cei(iface));
}

static ULONG STDMETHODCALLTYPE cei_release(ICreateErrorInfo *iface) {
        return release(from_cei(iface));
}

static HRESULT STDMETHODCALLTYPE cei_set_guid(ICreateErrorInfo *iface, REFGUID rguid) {
        if (!rguid)
                return E_INVALIDARG;
        from_cei(iface)->guid = *rguid;
        return S_OK;
}

/* Replaces *dst with a copy of s (NULL: none). */
static HRESULT set_string(BSTR *dst, LPOLESTR s) {
        BSTR copy = NULL;

        if (s && !(copy = SysAllocString(s)))
                return E_OUTOFMEMORY;
        SysFreeString(*dst);
        *dst = copy;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE cei_set_source(ICreateErrorInfo *iface, LPOLESTR szSource) {
        return set_string(&from_cei(iface)->source, szSource);
}

static HRESULT STDMETHODCALLTYPE cei_set_description(ICreateErrorInfo *iface,
                                                     LPOLESTR szDescription) {
        return set_string(&from_cei(iface)->description, szDescription);
}

static HRESULT STDMETHODCALLTYPE cei_set_help_file(ICreateErrorInfo *iface, LPOLESTR szHelpFile) {
        return set_string(&from_cei(iface)->help_file, szHelpFile);
}

static HRESULT STDMETHODCALLTYPE cei_set_help_context(ICreateErrorInfo *iface,
                                                      DWORD dwHelpContext) {
        from_cei(iface)->help_context = dwHelpContext;
        return S_OK;
}

static const ICreateErrorInfoVtbl cei_vtbl = {
        cei_qi, cei_addref, cei_release, cei_set_guid, cei_set_source, cei_set_description,
        cei_set_help_file, cei_set_help_context,
};

/* --- ISupportErrorInfo: the error's own interface ------------------------------------------ */

static HRESULT STDMETHODCALLTYPE sei_qi(ISupportErrorInfo *iface, REFIID riid, void **ppv) {
        return qi(from_sei(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE sei_addref(ISupportErrorInfo *iface) {
        return addref(from_sei(iface));
}

static ULONG STDMETHODCALLTYPE sei_release(ISupportErrorInfo *iface) {
        return release(from_sei(iface));
}

static HRESULT STDMETHODCALLTYPE sei_supports(ISupportErrorInfo *iface, REFIID riid) {
        if (!riid)
                return E_INVALIDARG;
        return IsEqualIID(riid, &from_sei(iface)->guid) ? S_OK : S_FALSE;
}

static const ISupportErrorInfoVtbl sei_vtbl = { sei_qi, sei_addref, sei_release, sei_supports };

static struct errorinfo *errorinfo_new(void) {
        struct errorinfo *e = dcom_calloc(1, sizeof *e);

        if (!e)
                return NULL;
        e->IErrorInfo_iface.lpVtbl = &ei_vtbl;
        e->ICreateErrorInfo_iface.lpVtbl = &cei_vtbl;
        e->ISupportErrorInfo_iface.lpVtbl = &sei_vtbl;
        atomic_init(&e->refs, 1);
        return e;
}

HRESULT CreateErrorInfo(ICreateErrorInfo **pperrinfo) {
        struct errorinfo *e;

        if (!pperrinfo)
                return E_INVALIDARG;
        *pperrinfo = NULL;
        if (!(e = errorinfo_new()))
                return E_OUTOFMEMORY;
        *pperrinfo = &e->ICreateErrorInfo_iface;
        return S_OK;
}

/* --- the thread's slot ------------------------------------------------------------------------ */

static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static int slot_err;

/* The slot's value, as the key holds it (the key is there for its destructor): every
   incoming ORPC call clears the slot and looks at it again, nearly always empty */
_Thread_local IErrorInfo *oleaut_error_slot;

static void slot_free(void *p) {
        IErrorInfo *ei = p;

        oleaut_error_slot = NULL;       /* (run on the exiting thread itself) */
        if (ei)
                ei->lpVtbl->Release(ei);
}

static void slot_init(void) {
        slot_err = pthread_key_create(&slot_key, slot_free);
}

HRESULT SetErrorInfo(ULONG dwReserved, IErrorInfo *perrinfo) {
        if (dwReserved)
                return E_INVALIDARG;
        if (!perrinfo && !oleaut_error_slot)
                return S_OK;            /* cleared already */
        pthread_once(&slot_once, slot_init);
        if (slot_err)
                return E_OUTOFMEMORY;
        IErrorInfo *old = pthread_getspecific(slot_key);
        if (perrinfo)
                perrinfo->lpVtbl->AddRef(perrinfo);
        if (pthread_setspecific(slot_key, perrinfo)) {
                if (perrinfo)
                        perrinfo->lpVtbl->Release(perrinfo);
                return E_OUTOFMEMORY;
        }
        oleaut_error_slot = perrinfo;
        if (old)
                old->lpVtbl->Release(old);
        return S_OK;
}

HRESULT GetErrorInfo(ULONG dwReserved, IErrorInfo **pperrinfo) {
        if (!pperrinfo || dwReserved)
                return E_INVALIDARG;
        *pperrinfo = NULL;
        if (!oleaut_error_slot)
                return S_FALSE;
        pthread_once(&slot_once, slot_init);
        if (slot_err)
                return S_FALSE;
        IErrorInfo *ei = pthread_getspecific(slot_key);
        if (!ei)
                return S_FALSE;
        pthread_setspecific(slot_key, NULL);    /* handed over with its reference */
        oleaut_error_slot = NULL;
        *pperrinfo = ei;
        return S_OK;
}

/* --- [MS-DCOM] 2.2.21.2: the error object's data in an OBJREF_CUSTOM ----------------------- */

#define SIGNATURE_PRESENT 0xffffffffu
/* An ErrorInfoString we take: longer ones are refused (a peer's data is hostile). */
#define MAX_STRING_CHARS (64u << 10)

/*
 * 2.2.21.3 ErrorInfoString, padded to 4 bytes (from the data's start) like the NDR
 * conformant-varying string it is; the reader takes the padding after the last one as
 * optional.
 */
static void put_string(struct buf *b, BSTR s) {
        if (!s) {
                buf_put_u32le(b, 0);
                return;
        }
        uint32_t n = SysStringLen(s) + 1;       /* the NUL counted */
        buf_put_u32le(b, SIGNATURE_PRESENT);
        buf_put_u32le(b, n);
        buf_put_u32le(b, 0);
        buf_put_u32le(b, n);
        for (uint32_t i = 0; i + 1 < n; i++)
                buf_put_u16le(b, s[i]);
        buf_put_u16le(b, 0);
        buf_pad(b, 4);
}

int oleaut_errorinfo_write(IErrorInfo *ei, struct buf *b) {
        BSTR source = NULL, description = NULL, help_file = NULL;
        DWORD context = 0;
        GUID guid;
        HRESULT hr;

        if (FAILED(hr = ei->lpVtbl->GetGUID(ei, &guid)) ||
            FAILED(hr = ei->lpVtbl->GetSource(ei, &source)) ||
            FAILED(hr = ei->lpVtbl->GetDescription(ei, &description)) ||
            FAILED(hr = ei->lpVtbl->GetHelpFile(ei, &help_file)) ||
            FAILED(hr = ei->lpVtbl->GetHelpContext(ei, &context))) {
                SysFreeString(source);
                SysFreeString(description);
                SysFreeString(help_file);
                return hr == E_OUTOFMEMORY ? -ENOMEM : -EINVAL;
        }
        buf_put_u32le(b, 0);                    /* dwVersion */
        buf_put_u32le(b, context);              /* dwHelpContext */
        buf_put_u32le(b, guid.Data1);
        buf_put_u16le(b, guid.Data2);
        buf_put_u16le(b, guid.Data3);
        buf_append(b, guid.Data4, 8);
        put_string(b, source);
        put_string(b, description);
        put_string(b, help_file);
        SysFreeString(source);
        SysFreeString(description);
        SysFreeString(help_file);
        return b->error;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A signature and (if present) an ErrorInfoString at *off; *ret NULL when absent. */
static int get_string(const uint8_t *p, size_t len, size_t *off, BSTR *ret) {
        *ret = NULL;
        if (len - *off < 4)
                return -EBADMSG;
        uint32_t sig = le32(p + *off);
        *off += 4;
        if (sig == 0)
                return 0;
        if (sig != SIGNATURE_PRESENT || len - *off < 12)
                return -EBADMSG;
        uint32_t max = le32(p + *off), offset = le32(p + *off + 4), actual = le32(p + *off + 8);
        *off += 12;
        if (!max || max > MAX_STRING_CHARS || offset || actual != max ||
            (len - *off) / 2 < max)
                return -EBADMSG;
        const uint8_t *chars = p + *off;
        if (chars[2 * (max - 1)] || chars[2 * (max - 1) + 1])
                return -EBADMSG;                /* NUL-terminated, as 2.2.21.3 says */
        BSTR s = SysAllocStringLen(NULL, max - 1);
        if (!s)
                return -ENOMEM;
        for (uint32_t i = 0; i + 1 < max; i++)
                s[i] = (OLECHAR)(chars[2 * i] | chars[2 * i + 1] << 8);
        *off += 2 * (size_t)max;
        *off = (*off + 3) & ~(size_t)3;
        if (*off > len)
                *off = len;                     /* the last string's padding may be left out */
        *ret = s;
        return 0;
}

int oleaut_errorinfo_read(const uint8_t *p, size_t len, IErrorInfo **ret) {
        struct errorinfo *e;
        size_t off = 24;
        int r;

        if (len < 24 || le32(p) != 0)           /* dwVersion 0 */
                return -EBADMSG;
        if (!(e = errorinfo_new()))
                return -ENOMEM;
        e->help_context = le32(p + 4);
        e->guid.Data1 = le32(p + 8);
        e->guid.Data2 = (uint16_t)(p[12] | p[13] << 8);
        e->guid.Data3 = (uint16_t)(p[14] | p[15] << 8);
        memcpy(e->guid.Data4, p + 16, 8);
        if ((r = get_string(p, len, &off, &e->source)) < 0 ||
            (r = get_string(p, len, &off, &e->description)) < 0 ||
            (r = get_string(p, len, &off, &e->help_file)) < 0) {
                release(e);
                return r;
        }
        *ret = &e->IErrorInfo_iface;
        return 0;
}
