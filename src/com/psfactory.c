/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Proxy/stub libraries, registered and found as Windows registers and finds them
 * ([MS-DCOM] leaves it to the implementation; this is COM's documented "Interface" key):
 *
 *     HKCR\Interface\{iid}                    (default) = the interface's name
 *                         \NumMethods         (default) = its methods, IUnknown's included
 *                         \ProxyStubClsid32   (default) = {clsid} of its PSFactoryBuffer
 *     HKCR\CLSID\{clsid}                      (default) = PSFactoryBuffer
 *                   \InprocServer32           (default) = the library, ThreadingModel Both
 *
 * The library's side is <rpcproxy.h>'s DLLDATA_ROUTINES: DllGetClassObject hands out the
 * library's CStdPSFactoryBuffer (NdrDllGetClassObject), DllRegisterServer writes the keys
 * above (NdrDllRegisterProxy).  The COM side is com_ps_load(): when the exporter or the
 * proxy manager meets an IID it has no proxy for, it follows the keys, loads the library
 * through the in-process server cache (activate.c), asks it for its IPSFactoryBuffer and,
 * when that is one of ours, takes the interface's proxy vtable and stubs from the
 * factory's ProxyFileInfo list (dcomidl's FILE_p.c) and registers them for the process
 * (exporter.c's table).  The factory stays referenced, so the library stays loaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpcproxy.h>

#include "com/com-internal.h"
#include "com/remote-internal.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "oleaut/oleaut-internal.h"
#include "registry/registry-internal.h"

static LOG_CHANNEL(com);

#define MAX_PROXY_FILES 1024 /* entries of an aProxyFileList */

/* oleaut32's proxy/stub classes: the type-library marshaler (PSOAInterface, for
   [oleautomation] and [dual] interfaces) and dispinterfaces' (PSDispatch) */
static const CLSID CLSID_PSOAInterface_ = { 0x00020424, 0x0000, 0x0000,
                                            { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const CLSID CLSID_PSDispatch_ = { 0x00020420, 0x0000, 0x0000,
                                         { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };

/* --- the factory (a proxy/stub library's class object) ----------------------------------- */

static HRESULT STDMETHODCALLTYPE psf_QueryInterface(IPSFactoryBuffer *iface, REFIID riid,
                                                    void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IPSFactoryBuffer)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE psf_AddRef(IPSFactoryBuffer *iface) {
        CStdPSFactoryBuffer *f = (CStdPSFactoryBuffer *)iface;
        return (ULONG)__atomic_add_fetch(&f->RefCount, 1, __ATOMIC_SEQ_CST);
}

/* The factory is the library's static gPFactory: never freed, only counted. */
static ULONG STDMETHODCALLTYPE psf_Release(IPSFactoryBuffer *iface) {
        CStdPSFactoryBuffer *f = (CStdPSFactoryBuffer *)iface;
        return (ULONG)__atomic_sub_fetch(&f->RefCount, 1, __ATOMIC_SEQ_CST);
}

static bool pfl_find(const ProxyFileInfo **pfl, const IID *iid, const ProxyFileInfo **ret_pfi,
                     unsigned *ret_index);
static bool pfl_usable(const ProxyFileInfo *pfi, unsigned idx, const IID *iid);

/*
 * What Windows' proxy manager and stub manager -- or a program with its own channel --
 * ask a proxy/stub library for: an interface proxy, or stub, connected to an
 * IRpcChannelBuffer (psbuffer.c).  The COM library's own remoting does not call these:
 * it takes the proxies and stubs from the ProxyFileInfo (com_ps_load) onto its channel.
 */
static HRESULT STDMETHODCALLTYPE psf_CreateProxy(IPSFactoryBuffer *iface, IUnknown *outer,
                                                 REFIID riid, IRpcProxyBuffer **ppProxy,
                                                 void **ppv) {
        CStdPSFactoryBuffer *f = (CStdPSFactoryBuffer *)iface;
        const ProxyFileInfo *pfi;
        unsigned idx;

        if (!ppProxy || !ppv)
                return E_POINTER;
        *ppProxy = NULL;
        *ppv = NULL;
        if (!riid)
                return E_INVALIDARG;
        if (!pfl_find(f->pProxyFileList, riid, &pfi, &idx) || !pfl_usable(pfi, idx, riid))
                return E_NOINTERFACE;
        oleaut_user_marshal_register();         /* as CreateStub */
        return com_ps_create_proxy(iface, pfi->pProxyVtblList[idx], pfi->pStubVtblList[idx], outer, riid,
                                   ppProxy, ppv);
}

static HRESULT STDMETHODCALLTYPE psf_CreateStub(IPSFactoryBuffer *iface, REFIID riid,
                                                IUnknown *server, IRpcStubBuffer **ppStub) {
        CStdPSFactoryBuffer *f = (CStdPSFactoryBuffer *)iface;
        const ProxyFileInfo *pfi;
        unsigned idx;

        if (!ppStub)
                return E_POINTER;
        *ppStub = NULL;
        if (!riid)
                return E_INVALIDARG;
        if (!pfl_find(f->pProxyFileList, riid, &pfi, &idx) || !pfl_usable(pfi, idx, riid))
                return E_NOINTERFACE;
        /* its methods may pass BSTR and VARIANT: their wire forms, also for a program
           whose own channel carries the calls (no exporter to have registered them) */
        oleaut_user_marshal_register();
        return com_ps_create_stub(iface, pfi->pStubVtblList[idx], riid, server, ppStub);
}

static const IPSFactoryBufferVtbl psf_vtbl = {
        psf_QueryInterface, psf_AddRef, psf_Release, psf_CreateProxy, psf_CreateStub,
};

/*
 * iid in a proxy file list: its file and index (bounded: a list ends at NULL within
 * MAX_PROXY_FILES, an index is below TableSize, every entry it leads to is there).
 */
static bool pfl_find(const ProxyFileInfo **pfl, const IID *iid, const ProxyFileInfo **ret_pfi,
                     unsigned *ret_index) {
        for (unsigned f = 0; pfl && f < MAX_PROXY_FILES && pfl[f]; f++) {
                const ProxyFileInfo *pfi = pfl[f];
                int idx = -1;

                if (!pfi->pProxyVtblList || !pfi->pStubVtblList)
                        continue;
                if (pfi->pIIDLookupRtn) {
                        if (!pfi->pIIDLookupRtn(iid, &idx))
                                continue;
                } else {
                        for (unsigned i = 0; i < pfi->TableSize && idx < 0; i++)
                                if (pfi->pStubVtblList[i] && pfi->pStubVtblList[i]->header.piid &&
                                    IsEqualIID(pfi->pStubVtblList[i]->header.piid, iid))
                                        idx = (int)i;
                }
                if (idx < 0 || idx >= pfi->TableSize || !pfi->pProxyVtblList[idx] ||
                    !pfi->pStubVtblList[idx] || !pfi->pStubVtblList[idx]->header.piid ||
                    !IsEqualIID(pfi->pStubVtblList[idx]->header.piid, iid))
                        continue;
                *ret_pfi = pfi;
                *ret_index = (unsigned)idx;
                return true;
        }
        return false;
}

/* An entry pfl_find found is a whole proxy and stub for iid. */
static bool pfl_usable(const ProxyFileInfo *pfi, unsigned idx, const IID *iid) {
        const struct ndr_interface *si = pfi->pStubVtblList[idx]->header.pServerInfo;

        return pfi->pProxyVtblList[idx]->pProxyVtbl && si && IsEqualIID(&si->uuid, iid) &&
               si->n_ops >= 3 && si->ops;
}

static pthread_mutex_t factory_lock = PTHREAD_MUTEX_INITIALIZER;

HRESULT RPC_ENTRY NdrDllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv,
                                       const ProxyFileInfo **pProxyFileList, const CLSID *pclsid,
                                       CStdPSFactoryBuffer *pPSFactoryBuffer) {
        const ProxyFileInfo *pfi;
        unsigned idx;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (!rclsid || !riid || !pProxyFileList || !pPSFactoryBuffer)
                return E_INVALIDARG;
        /* the library's class: its CLSID, or (as rpcrt4 answers) any of its IIDs */
        if (!(pclsid && IsEqualCLSID(rclsid, pclsid)) &&
            !pfl_find(pProxyFileList, rclsid, &pfi, &idx))
                return CLASS_E_CLASSNOTAVAILABLE;
        pthread_mutex_lock(&factory_lock);
        if (!pPSFactoryBuffer->lpVtbl) {
                pPSFactoryBuffer->pProxyFileList = pProxyFileList;
                pPSFactoryBuffer->lpVtbl = &psf_vtbl;
        }
        pthread_mutex_unlock(&factory_lock);
        return psf_QueryInterface((IPSFactoryBuffer *)pPSFactoryBuffer, riid, ppv);
}

HRESULT RPC_ENTRY NdrDllCanUnloadNow(CStdPSFactoryBuffer *pPSFactoryBuffer) {
        if (!pPSFactoryBuffer)
                return E_INVALIDARG;
        return __atomic_load_n(&pPSFactoryBuffer->RefCount, __ATOMIC_SEQ_CST) == 0 ? S_OK : S_FALSE;
}

/* --- registration ------------------------------------------------------------------------ */

void com_guid_key(WCHAR *buf, const char *prefix, const GUID *g, const char *suffix) {
        char id[DCOM_GUID_STRING_REG], s[128];
        size_t i;

        dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, id);
        snprintf(s, sizeof s, "%s%s%s", prefix, id, suffix);
        for (i = 0; s[i] && i < 127; i++)
                buf[i] = (WCHAR)(unsigned char)s[i];
        buf[i] = 0;
}

static LSTATUS set_sz(const WCHAR *key, const WCHAR *name, const char *value) {
        WCHAR *w = NULL;
        LSTATUS st;

        if (dcom_utf8_to_utf16(value, strlen(value), &w, NULL) < 0)
                return ERROR_NOT_ENOUGH_MEMORY;
        st = RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, w,
                             (DWORD)((dcom_utf16_len(w) + 1) * sizeof(WCHAR)));
        free(w);
        return st;
}

/* The absolute path of the library holding p (what GetModuleFileName gives on Windows). */
static char *library_path(const void *p) {
        Dl_info info;

        if (!dladdr(p, &info) || !info.dli_fname)
                return NULL;
        return realpath(info.dli_fname, NULL);
}

static bool valid_list(const ProxyFileInfo **pfl) {
        unsigned f;

        for (f = 0; pfl && f < MAX_PROXY_FILES && pfl[f]; f++)
                if (!pfl[f]->pStubVtblList || !pfl[f]->pNamesArray)
                        return false;
        return pfl && f < MAX_PROXY_FILES;
}

HRESULT RPC_ENTRY NdrDllRegisterProxy(HMODULE hDll, const ProxyFileInfo **pProxyFileList,
                                      const CLSID *pclsid) {
        char clsid[DCOM_GUID_STRING_REG], *path;
        WCHAR key[128];
        LSTATUS st = ERROR_SUCCESS;

        (void)hDll;
        if (!pclsid || !valid_list(pProxyFileList))
                return E_INVALIDARG;
        if (!(path = library_path(pProxyFileList)))
                return SELFREG_E_CLASS;
        dcom_guid_format(pclsid, DCOM_GUID_FORMAT_REGISTRY, clsid);
        /* one transaction -- or the caller's, when it registers inside one of its own */
        st = dcom_reg_begin();
        bool own_tx = st == ERROR_SUCCESS;
        if (st == ERROR_INVALID_FUNCTION)
                st = ERROR_SUCCESS;
        if (st != ERROR_SUCCESS)
                goto out;
        for (unsigned f = 0; pProxyFileList[f] && st == ERROR_SUCCESS; f++) {
                const ProxyFileInfo *pfi = pProxyFileList[f];
                for (unsigned i = 0; i < pfi->TableSize && st == ERROR_SUCCESS; i++) {
                        const CInterfaceStubVtbl *sv = pfi->pStubVtblList[i];
                        char n[16];
                        if (!sv || !sv->header.piid || !pfi->pNamesArray[i])
                                continue;
                        snprintf(n, sizeof n, "%u", (unsigned)sv->header.DispatchTableCount);
                        com_guid_key(key, "Interface\\", sv->header.piid, "");
                        st = set_sz(key, NULL, pfi->pNamesArray[i]);
                        com_guid_key(key, "Interface\\", sv->header.piid, "\\NumMethods");
                        st = st ? st : set_sz(key, NULL, n);
                        com_guid_key(key, "Interface\\", sv->header.piid, "\\ProxyStubClsid32");
                        st = st ? st : set_sz(key, NULL, clsid);
                }
        }
        com_guid_key(key, "CLSID\\", pclsid, "");
        st = st ? st : set_sz(key, NULL, "PSFactoryBuffer");
        com_guid_key(key, "CLSID\\", pclsid, "\\InprocServer32");
        st = st ? st : set_sz(key, NULL, path);
        st = st ? st : set_sz(key, u"ThreadingModel", "Both");
        if (own_tx && st == ERROR_SUCCESS)
                st = dcom_reg_commit();
        else if (own_tx)
                dcom_reg_rollback();
out:
        free(path);
        return st == ERROR_SUCCESS ? S_OK : SELFREG_E_CLASS;
}

HRESULT RPC_ENTRY NdrDllUnregisterProxy(HMODULE hDll, const ProxyFileInfo **pProxyFileList,
                                        const CLSID *pclsid) {
        WCHAR key[128], val[64];
        LSTATUS st;

        (void)hDll;
        if (!pclsid || !valid_list(pProxyFileList))
                return E_INVALIDARG;
        st = dcom_reg_begin();
        bool own_tx = st == ERROR_SUCCESS;
        if (st == ERROR_INVALID_FUNCTION)
                st = ERROR_SUCCESS; /* inside the caller's transaction */
        if (st != ERROR_SUCCESS)
                return SELFREG_E_CLASS;
        for (unsigned f = 0; pProxyFileList[f] && st == ERROR_SUCCESS; f++) {
                const ProxyFileInfo *pfi = pProxyFileList[f];
                for (unsigned i = 0; i < pfi->TableSize && st == ERROR_SUCCESS; i++) {
                        const CInterfaceStubVtbl *sv = pfi->pStubVtblList[i];
                        DWORD size = sizeof val;
                        CLSID cur;
                        if (!sv || !sv->header.piid)
                                continue;
                        /* an interface another library registered since is left to it */
                        com_guid_key(key, "Interface\\", sv->header.piid, "\\ProxyStubClsid32");
                        if (RegGetValueW(HKEY_CLASSES_ROOT, key, NULL, RRF_RT_REG_SZ, NULL, val,
                                         &size) == ERROR_SUCCESS &&
                            (FAILED(CLSIDFromString(val, &cur)) || !IsEqualCLSID(&cur, pclsid)))
                                continue;
                        com_guid_key(key, "Interface\\", sv->header.piid, "");
                        st = RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
                        if (st == ERROR_FILE_NOT_FOUND)
                                st = ERROR_SUCCESS;
                }
        }
        com_guid_key(key, "CLSID\\", pclsid, "");
        if (st == ERROR_SUCCESS &&
            (st = RegDeleteTreeW(HKEY_CLASSES_ROOT, key)) == ERROR_FILE_NOT_FOUND)
                st = ERROR_SUCCESS;
        if (own_tx && st == ERROR_SUCCESS)
                st = dcom_reg_commit();
        else if (own_tx)
                dcom_reg_rollback();
        return st == ERROR_SUCCESS ? S_OK : SELFREG_E_CLASS;
}

/* --- the COM library's side ---------------------------------------------------------------- */

/*
 * IIDs found to have no proxy/stub, remembered for NEG_TTL_MS while this process writes
 * nothing to the registry (hive_generation): a QueryInterface on a proxy for an interface
 * the object may not have -- clients probe for optional ones -- then costs no registry
 * read each time.  A registration by another process (regsvr) is seen within NEG_TTL_MS;
 * what was looked up inside this thread's own registry transaction is not remembered.
 */
#define NEG_MAX    64
#define NEG_TTL_MS 1000

static pthread_mutex_t neg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        IID iid;
        uint64_t gen, at_ms;
} neg[NEG_MAX];
static unsigned neg_next;

static bool neg_find(const IID *iid) {
        uint64_t gen = hive_generation(), now = dcom_monotonic_ms();
        bool hit = false;

        pthread_mutex_lock(&neg_lock);
        for (unsigned i = 0; i < NEG_MAX && !hit; i++)
                hit = neg[i].at_ms && neg[i].gen == gen && now - neg[i].at_ms < NEG_TTL_MS &&
                      IsEqualIID(&neg[i].iid, iid);
        pthread_mutex_unlock(&neg_lock);
        return hit;
}

static void neg_add(const IID *iid, uint64_t gen) {
        if (hive_thread_tx())
                return;
        pthread_mutex_lock(&neg_lock);
        unsigned k = neg_next++ % NEG_MAX;
        neg[k].iid = *iid;
        neg[k].gen = gen;
        neg[k].at_ms = dcom_monotonic_ms() | 1; /* 0: an empty slot */
        pthread_mutex_unlock(&neg_lock);
}

/* iid may have a proxy/stub now (CoRegisterPSClsid). */
static void neg_forget(const IID *iid) {
        pthread_mutex_lock(&neg_lock);
        for (unsigned i = 0; i < NEG_MAX; i++)
                if (neg[i].at_ms && IsEqualIID(&neg[i].iid, iid))
                        neg[i].at_ms = 0;
        pthread_mutex_unlock(&neg_lock);
}

static int ps_load(const IID *iid);

int com_ps_load(const IID *iid) {
        char id[DCOM_GUID_STRING_REG];
        uint64_t gen = hive_generation(); /* before reading: a write meanwhile voids it */
        int r;

        if (neg_find(iid)) {
                dcom_guid_format(iid, DCOM_GUID_FORMAT_REGISTRY, id);
                log_debug(com, "no proxy/stub for %s (looked up less than %u ms ago)", id,
                          NEG_TTL_MS);
                return -ENOENT;
        }
        r = ps_load(iid);
        if (r == -ENOENT || r == -ENOEXEC)
                neg_add(iid, gen);
        return r;
}

/* --- CoGetPSClsid, CoRegisterPSClsid ------------------------------------------------------ */

#define MAX_PS_CLSIDS 256               /* CoRegisterPSClsid entries of a process */

static struct {
        IID iid;
        CLSID clsid;
} ps_clsids[MAX_PS_CLSIDS];
static unsigned n_ps_clsids;
static pthread_mutex_t ps_clsid_lock = PTHREAD_MUTEX_INITIALIZER;

HRESULT WINAPI CoRegisterPSClsid(REFIID riid, REFCLSID rclsid) {
        HRESULT hr = S_OK;
        unsigned i;

        if (!riid || !rclsid)
                return E_INVALIDARG;
        pthread_mutex_lock(&ps_clsid_lock);
        for (i = 0; i < n_ps_clsids && !IsEqualIID(&ps_clsids[i].iid, riid); i++)
                ;
        if (i == n_ps_clsids && n_ps_clsids == MAX_PS_CLSIDS) {
                hr = E_OUTOFMEMORY;
        } else {
                if (i == n_ps_clsids)
                        n_ps_clsids++;
                ps_clsids[i].iid = *riid;
                ps_clsids[i].clsid = *rclsid;
        }
        pthread_mutex_unlock(&ps_clsid_lock);
        neg_forget(riid);       /* a lookup that found nothing may now find it */
        return hr;
}

/* riid's proxy/stub CLSID: the process's registration, else the registry's; 0 or -ENOENT. */
static int ps_clsid(const IID *riid, CLSID *ret) {
        WCHAR key[128], val[64];
        DWORD size = sizeof val;
        bool found = false;

        pthread_mutex_lock(&ps_clsid_lock);
        for (unsigned i = 0; i < n_ps_clsids && !found; i++)
                if (IsEqualIID(&ps_clsids[i].iid, riid)) {
                        *ret = ps_clsids[i].clsid;
                        found = true;
                }
        pthread_mutex_unlock(&ps_clsid_lock);
        if (found)
                return 0;
        com_guid_key(key, "Interface\\", riid, "\\ProxyStubClsid32");
        if (RegGetValueW(HKEY_CLASSES_ROOT, key, NULL, RRF_RT_REG_SZ, NULL, val, &size) !=
            ERROR_SUCCESS)
                return -ENOENT;
        return FAILED(CLSIDFromString(val, ret)) ? -EINVAL : 0;
}

HRESULT WINAPI CoGetPSClsid(REFIID riid, CLSID *pclsid) {
        if (!riid || !pclsid)
                return E_INVALIDARG;
        /* (Windows: a value that is not a CLSID is not a registration either) */
        return ps_clsid(riid, pclsid) < 0 ? REGDB_E_IIDNOTREG : S_OK;
}

static int ps_load(const IID *iid) {
        char id[DCOM_GUID_STRING_REG], cid[DCOM_GUID_STRING_REG];
        IPSFactoryBuffer *f = NULL;
        const ProxyFileInfo *pfi;
        CLSID clsid;
        unsigned idx;
        HRESULT hr;
        int r;

        dcom_guid_format(iid, DCOM_GUID_FORMAT_REGISTRY, id);
        /*
         * Another thread inside a registry transaction holds the registry until it ends,
         * and may be waiting for this one (an object it activates in another apartment is
         * marshaled there): the caller looked the IID up on its own thread before.
         */
        if (hive_tx_elsewhere()) {
                log_debug(com,
                          "no proxy/stub for %s: not looked up while another thread is "
                          "inside a registry transaction",
                          id);
                return -EAGAIN;
        }
        if ((r = ps_clsid(iid, &clsid)) == -ENOENT) {
                log_debug(com,
                          "no proxy/stub for %s: HKCR\\Interface\\%s\\ProxyStubClsid32 is not "
                          "registered",
                          id, id);
                return -ENOENT;
        }
        if (r < 0) {
                log_debug(com, "no proxy/stub for %s: its ProxyStubClsid32 is not a CLSID", id);
                return -ENOENT;
        }
        dcom_guid_format(&clsid, DCOM_GUID_FORMAT_REGISTRY, cid);
        /* [MS-OAUT] 1.3: interfaces a type library describes, marshaled through it */
        if (IsEqualCLSID(&clsid, &CLSID_PSOAInterface_) || IsEqualCLSID(&clsid, &CLSID_PSDispatch_)) {
                r = oleaut_tm_load(iid, IsEqualCLSID(&clsid, &CLSID_PSDispatch_));
                if (r >= 0)
                        log_debug(com, "proxy/stub for %s from its type library (%s)", id, cid);
                return r;
        }
        hr = com_inproc_class_object_any(&clsid, &IID_IPSFactoryBuffer, (void **)&f);
        if (FAILED(hr) || !f) {
                log_debug(com,
                          "no proxy/stub for %s: its PSFactoryBuffer %s: 0x%08x (DCOM_DEBUG=com "
                          "above names the key or library)",
                          id, cid, (unsigned)hr);
                return -ENOEXEC;
        }
        if (f->lpVtbl != &psf_vtbl) {
                /* a hand-written factory: its proxies would need an IRpcChannelBuffer */
                log_debug(com,
                          "no proxy/stub for %s: %s is not a dcomidl/MIDL proxy/stub library "
                          "(DLLDATA_ROUTINES)",
                          id, cid);
                f->lpVtbl->Release(f);
                return -ENOEXEC;
        }
        if (!pfl_find(((CStdPSFactoryBuffer *)f)->pProxyFileList, iid, &pfi, &idx) ||
            !pfl_usable(pfi, idx, iid)) {
                log_debug(com, "no proxy/stub for %s: its library (%s) does not have it", id, cid);
                f->lpVtbl->Release(f);
                return -ENOEXEC;
        }
        r = com_ps_register(pfi->pProxyVtblList[idx]->pProxyVtbl,
                            pfi->pStubVtblList[idx]->header.pServerInfo);
        if (r < 0) {
                /* -EEXIST: another library's proxy for it came first, and stays */
                f->lpVtbl->Release(f);
                return r == -EEXIST ? 0 : r;
        }
        /* registered (or another thread's load of the same library was): the reference keeps
           the library loaded while the table points into it -- for the process's life */
        log_debug(com, "proxy/stub for %s (%s) from %s", id,
                  pfi->pNamesArray ? pfi->pNamesArray[idx] : "?", cid);
        return 0;
}
