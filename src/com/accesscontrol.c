/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CLSID_DCOMAccessControl: the system's IAccessControl (Windows' <iaccess.h>), which a
 * server hands to CoInitializeSecurity with EOAC_ACCESS_CONTROL so that COM asks it about
 * every incoming call (src/com/security.c).  Its list holds trustees (by SID; names are
 * looked up when the entries are given) allowed or denied COM_RIGHTS_EXECUTE; a trustee is
 * denied when any denying entry names it or one of its groups, else allowed when an
 * allowing one does, else denied -- deny before allow, as COM's descriptors are read.
 *
 * Windows' rules for the COM implementation (learn.microsoft.com, IAccessControl and
 * ACTRL_ACCESS_ENTRYW): lpProperty must be NULL, fAccessFlags ACTRL_ACCESS_ALLOWED or
 * ACTRL_ACCESS_DENIED, Access COM_RIGHTS_EXECUTE; anything else is E_INVALIDARG and
 * changes nothing.  SetOwner is E_NOTIMPL (COM's list has no owner).  IsAccessAllowed
 * during a call, for the caller's name (what COM passes), uses the caller's token with its
 * groups; for any other trustee, that trustee's SID with the groups the machine gives it.
 * GetAllAccessRights allocates every node with CoTaskMemAlloc (the _ALLOCATE_ALL_NODES
 * type's meaning): free each.
 *
 * IPersistStream saves the list in our own format (Windows' is undocumented):
 *   u32 length of what follows (little-endian, at most ACL_MAX_BYTES), then
 *   "DCAC", u32 version 1, u32 count (at most ACL_MAX_ENTRIES), and per entry
 *   u8 flags (ACTRL_ACCESS_ALLOWED or _DENIED), u32 access (COM_RIGHTS_EXECUTE),
 *   a binary SID ([MS-DTYP] 2.4.2.2); nothing after the last entry.
 * com_acl_parse() reads the part after the length, every read bounds-checked (fuzz-acl).
 */
#define COBJMACROS
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "com/accesscontrol.h"
#include "com/com-internal.h"
#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "security/security.h"

static LOG_CHANNEL(com);

DCOM_EXPORT const CLSID CLSID_DCOMAccessControl = {
        0x0000031d, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};

/* --- the saved form ------------------------------------------------------------------------- */

int com_acl_parse(const uint8_t *p, size_t n, struct com_acl_entry **ret, size_t *ret_n) {
        struct com_acl_entry *v = NULL;
        size_t off = 12;

        if (n < 12 || memcmp(p, "DCAC", 4) != 0 || dcom_get_le32(p + 4) != 1)
                return -EBADMSG;
        uint32_t count = dcom_get_le32(p + 8);
        /* an entry takes at least 5 + 8 bytes: the count cannot promise more than is there */
        if (count > ACL_MAX_ENTRIES || count > (n - 12) / 13)
                return -EBADMSG;
        if (count && !(v = calloc(count, sizeof *v)))
                return -ENOMEM;
        for (uint32_t i = 0; i < count; i++) {
                size_t len;
                if (n - off < 5)
                        goto bad;
                uint8_t flags = p[off];
                uint32_t access = dcom_get_le32(p + off + 1);
                off += 5;
                if ((flags != ACTRL_ACCESS_ALLOWED && flags != ACTRL_ACCESS_DENIED) ||
                    access != COM_RIGHTS_EXECUTE)
                        goto bad;
                if (sec_sid_pull(p + off, n - off, &v[i].sid, &len) < 0)
                        goto bad;
                off += len;
                v[i].deny = flags == ACTRL_ACCESS_DENIED;
                v[i].access = access;
        }
        if (off != n)
                goto bad;               /* trailing bytes: not something we wrote */
        *ret = v;
        *ret_n = count;
        return 0;
bad:
        free(v);
        return -EBADMSG;
}

static size_t acl_size(const struct com_acl_entry *v, size_t n) {
        size_t size = 12;
        for (size_t i = 0; i < n; i++)
                size += 5 + sec_sid_size(&v[i].sid);
        return size;
}

/* The saved form (without the leading length) into a new buffer. */
int com_acl_format(const struct com_acl_entry *v, size_t n, uint8_t **ret, size_t *ret_size) {
        size_t size = acl_size(v, n), off = 12;
        uint8_t *p = malloc(size);

        if (!p)
                return -ENOMEM;
        memcpy(p, "DCAC", 4);
        dcom_put_le32(p + 4, 1);
        dcom_put_le32(p + 8, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
                p[off] = v[i].deny ? ACTRL_ACCESS_DENIED : ACTRL_ACCESS_ALLOWED;
                dcom_put_le32(p + off + 1, v[i].access);
                off += 5;
                sec_sid_push(&v[i].sid, p + off);
                off += sec_sid_size(&v[i].sid);
        }
        *ret = p;
        *ret_size = size;
        return 0;
}

/* --- trustees ------------------------------------------------------------------------------ */

static int utf16_to_utf8_str(const WCHAR *w, char *out, size_t size) {
        char *s = NULL;
        size_t n = 0;
        int r = dcom_utf16_to_utf8(w, dcom_utf16_len(w), &s, &n);
        if (r < 0)
                return r;
        if (n >= size) {
                free(s);
                return -ERANGE;
        }
        memcpy(out, s, n + 1);
        free(s);
        return 0;
}

/* A trustee's SID: a binary SID for TRUSTEE_IS_SID, else its name looked up. */
static HRESULT trustee_sid(const TRUSTEE_W *t, struct sec_sid *ret, char *name, size_t name_size) {
        char sid[SEC_SID_STRING_MAX + 1];

        if (!t || !t->ptstrName)
                return E_INVALIDARG;
        if (t->pMultipleTrustee || t->MultipleTrusteeOperation != NO_MULTIPLE_TRUSTEE)
                return E_INVALIDARG;
        if (name)
                name[0] = 0;
        if (t->TrusteeForm == TRUSTEE_IS_SID) {
                const uint8_t *p = (const uint8_t *)t->ptstrName;
                /* a SID in memory: its own count says how long it is */
                size_t len = 8 + 4 * (size_t)(p[1] <= SEC_SID_MAX_SUB ? p[1] : 0);
                size_t used;
                if (p[0] != 1 || p[1] > SEC_SID_MAX_SUB || sec_sid_pull(p, len, ret, &used) < 0)
                        return E_INVALIDARG;
                return S_OK;
        }
        if (t->TrusteeForm != TRUSTEE_IS_NAME)
                return E_INVALIDARG;
        char u8[512];
        if (utf16_to_utf8_str(t->ptstrName, u8, sizeof u8) < 0)
                return E_INVALIDARG;
        if (name)
                snprintf(name, name_size, "%s", u8);
        if (sec_lookup_name(u8, sid, sizeof sid) < 0 || sec_sid_parse(sid, false, ret) < 0) {
                log_debug(com, "IAccessControl: no account or group is named '%s'", u8);
                return HRESULT_FROM_WIN32(ERROR_NONE_MAPPED);
        }
        return S_OK;
}

/* --- the object ------------------------------------------------------------------------------- */

struct access_control {
        IAccessControl IAccessControl_iface;
        IPersistStream IPersistStream_iface;
        atomic_uint refs;
        pthread_mutex_t lock;
        struct com_acl_entry *v;
        size_t n;
        bool dirty;
};

static struct access_control *impl_from_IAccessControl(IAccessControl *iface) {
        return (struct access_control *)((char *)iface -
                                         offsetof(struct access_control, IAccessControl_iface));
}

static struct access_control *impl_from_IPersistStream(IPersistStream *iface) {
        return (struct access_control *)((char *)iface -
                                         offsetof(struct access_control, IPersistStream_iface));
}

static HRESULT STDMETHODCALLTYPE ac_QueryInterface(IAccessControl *iface, REFIID riid, void **ppv) {
        struct access_control *ac = impl_from_IAccessControl(iface);

        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAccessControl)) {
                *ppv = &ac->IAccessControl_iface;
        } else if (IsEqualIID(riid, &IID_IPersist) || IsEqualIID(riid, &IID_IPersistStream)) {
                *ppv = &ac->IPersistStream_iface;
        } else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&ac->refs, 1);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE ac_AddRef(IAccessControl *iface) {
        return atomic_fetch_add(&impl_from_IAccessControl(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ac_Release(IAccessControl *iface) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        unsigned left = atomic_fetch_sub(&ac->refs, 1) - 1;

        if (left == 0) {
                pthread_mutex_destroy(&ac->lock);
                free(ac->v);
                free(ac);
        }
        return left;
}

/* The entries of a list as COM's implementation takes them: validated whole first. */
static HRESULT entries_of(const ACTRL_ACCESSW *list, struct com_acl_entry **ret, size_t *ret_n) {
        size_t total = 0, k = 0;

        if (!list)
                return E_INVALIDARG;
        if (list->cEntries && !list->pPropertyAccessList)
                return E_INVALIDARG;
        for (ULONG i = 0; i < list->cEntries; i++) {
                const ACTRL_PROPERTY_ENTRYW *pe = &list->pPropertyAccessList[i];
                if (pe->lpProperty)
                        return E_INVALIDARG;    /* no properties in COM's list */
                if (!pe->pAccessEntryList)
                        continue;
                if (pe->pAccessEntryList->cEntries && !pe->pAccessEntryList->pAccessList)
                        return E_INVALIDARG;
                total += pe->pAccessEntryList->cEntries;
                if (total > ACL_MAX_ENTRIES)
                        return E_INVALIDARG;
        }
        struct com_acl_entry *v = total ? calloc(total, sizeof *v) : NULL;
        if (total && !v)
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < list->cEntries; i++) {
                const ACTRL_ACCESS_ENTRY_LISTW *el = list->pPropertyAccessList[i].pAccessEntryList;
                for (ULONG j = 0; el && j < el->cEntries; j++) {
                        const ACTRL_ACCESS_ENTRYW *e = &el->pAccessList[j];
                        HRESULT hr;
                        if ((e->fAccessFlags != ACTRL_ACCESS_ALLOWED &&
                             e->fAccessFlags != ACTRL_ACCESS_DENIED) ||
                            e->Access != COM_RIGHTS_EXECUTE || e->lpInheritProperty) {
                                free(v);
                                return E_INVALIDARG;
                        }
                        if (FAILED(hr = trustee_sid(&e->Trustee, &v[k].sid, NULL, 0))) {
                                free(v);
                                return hr;
                        }
                        v[k].deny = e->fAccessFlags == ACTRL_ACCESS_DENIED;
                        v[k].access = COM_RIGHTS_EXECUTE;
                        k++;
                }
        }
        *ret = v;
        *ret_n = k;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ac_GrantAccessRights(IAccessControl *iface, PACTRL_ACCESSW list) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        struct com_acl_entry *add = NULL;
        size_t n = 0;
        HRESULT hr = entries_of(list, &add, &n);

        if (FAILED(hr))
                return hr;
        pthread_mutex_lock(&ac->lock);
        /* merged: an entry the list already has (same trustee, same kind) is not repeated */
        size_t keep = ac->n;
        if (ac->n + n > ACL_MAX_ENTRIES) {
                hr = E_INVALIDARG;
                goto out;
        }
        struct com_acl_entry *nv = realloc(ac->v, (ac->n + n + 1) * sizeof *nv);
        if (!nv) {
                hr = E_OUTOFMEMORY;
                goto out;
        }
        ac->v = nv;
        for (size_t i = 0; i < n; i++) {
                bool have = false;
                for (size_t j = 0; j < ac->n && !have; j++)
                        have = ac->v[j].deny == add[i].deny && sec_sid_equal(&ac->v[j].sid, &add[i].sid);
                if (!have)
                        ac->v[ac->n++] = add[i];
        }
        ac->dirty = ac->dirty || ac->n != keep;
out:
        pthread_mutex_unlock(&ac->lock);
        free(add);
        return hr;
}

static HRESULT STDMETHODCALLTYPE ac_SetAccessRights(IAccessControl *iface, PACTRL_ACCESSW list) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        struct com_acl_entry *v = NULL;
        size_t n = 0;
        HRESULT hr = entries_of(list, &v, &n);

        if (FAILED(hr))
                return hr;
        pthread_mutex_lock(&ac->lock);
        free(ac->v);
        ac->v = v;
        ac->n = n;
        ac->dirty = true;
        pthread_mutex_unlock(&ac->lock);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ac_SetOwner(IAccessControl *iface, PTRUSTEEW owner, PTRUSTEEW group) {
        return E_NOTIMPL;       /* COM's implementation keeps no owner */
}

static HRESULT STDMETHODCALLTYPE ac_RevokeAccessRights(IAccessControl *iface, WCHAR *property,
                                                       ULONG n, TRUSTEEW *trustees) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        struct sec_sid *sids;
        HRESULT hr = S_OK;

        if (property || (n && !trustees) || n > ACL_MAX_ENTRIES)
                return E_INVALIDARG;
        if (!n)
                return S_OK;
        if (!(sids = calloc(n, sizeof *sids)))
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < n && SUCCEEDED(hr); i++)
                hr = trustee_sid(&trustees[i], &sids[i], NULL, 0);
        if (SUCCEEDED(hr)) {
                pthread_mutex_lock(&ac->lock);
                size_t k = 0;
                for (size_t j = 0; j < ac->n; j++) {
                        bool gone = false;
                        for (ULONG i = 0; i < n && !gone; i++)
                                gone = sec_sid_equal(&ac->v[j].sid, &sids[i]);
                        if (!gone)
                                ac->v[k++] = ac->v[j];
                }
                ac->dirty = ac->dirty || k != ac->n;
                ac->n = k;
                pthread_mutex_unlock(&ac->lock);
        }
        free(sids);
        return hr;
}

/* A trustee's name for GetAllAccessRights: its account name when that names it again,
   else the "S-1-..." string (which names it too). */
static WCHAR *name_of(const struct sec_sid *sid) {
        char s[SEC_SID_STRING_MAX + 1], name[320], back[SEC_SID_STRING_MAX + 1];
        WCHAR *w = NULL;
        const char *use = s;

        if (sec_sid_format(sid, s, sizeof s) < 0)
                return NULL;
        if (sec_lookup_sid(s, name, sizeof name) >= 0 &&
            sec_lookup_name(name, back, sizeof back) >= 0 && strcmp(back, s) == 0)
                use = name;
        size_t n = 0;
        if (dcom_utf8_to_utf16(use, strlen(use), &w, &n) < 0)
                return NULL;
        WCHAR *out = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
        if (out)
                memcpy(out, w, (n + 1) * sizeof(WCHAR));
        free(w);
        return out;
}

static void free_list(ACTRL_ACCESSW *list) {
        if (!list)
                return;
        if (list->pPropertyAccessList) {
                ACTRL_ACCESS_ENTRY_LISTW *el = list->pPropertyAccessList->pAccessEntryList;
                if (el) {
                        for (ULONG i = 0; el->pAccessList && i < el->cEntries; i++)
                                CoTaskMemFree(el->pAccessList[i].Trustee.ptstrName);
                        CoTaskMemFree(el->pAccessList);
                        CoTaskMemFree(el);
                }
                CoTaskMemFree(list->pPropertyAccessList);
        }
        CoTaskMemFree(list);
}

static HRESULT STDMETHODCALLTYPE ac_GetAllAccessRights(IAccessControl *iface, WCHAR *property,
                                                       PACTRL_ACCESSW_ALLOCATE_ALL_NODES *ret,
                                                       PTRUSTEEW *owner, PTRUSTEEW *group) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        ACTRL_ACCESSW *list;
        ACTRL_ACCESS_ENTRY_LISTW *el;

        if (property || !ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (owner)
                *owner = NULL;
        if (group)
                *group = NULL;
        if (!(list = CoTaskMemAlloc(sizeof *list)))
                return E_OUTOFMEMORY;
        memset(list, 0, sizeof *list);
        if (!(list->pPropertyAccessList = CoTaskMemAlloc(sizeof *list->pPropertyAccessList)))
                goto oom;
        memset(list->pPropertyAccessList, 0, sizeof *list->pPropertyAccessList);
        list->cEntries = 1;
        if (!(el = CoTaskMemAlloc(sizeof *el)))
                goto oom;
        memset(el, 0, sizeof *el);
        list->pPropertyAccessList->pAccessEntryList = el;
        pthread_mutex_lock(&ac->lock);
        if (ac->n && !(el->pAccessList = CoTaskMemAlloc(ac->n * sizeof *el->pAccessList))) {
                pthread_mutex_unlock(&ac->lock);
                goto oom;
        }
        if (ac->n)
                memset(el->pAccessList, 0, ac->n * sizeof *el->pAccessList);
        for (size_t i = 0; i < ac->n; i++) {
                ACTRL_ACCESS_ENTRYW *e = &el->pAccessList[i];
                el->cEntries = (ULONG)i + 1;
                e->Trustee.TrusteeForm = TRUSTEE_IS_NAME;
                e->Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
                e->fAccessFlags = ac->v[i].deny ? ACTRL_ACCESS_DENIED : ACTRL_ACCESS_ALLOWED;
                e->Access = ac->v[i].access;
                if (!(e->Trustee.ptstrName = name_of(&ac->v[i].sid))) {
                        pthread_mutex_unlock(&ac->lock);
                        goto oom;
                }
        }
        pthread_mutex_unlock(&ac->lock);
        *ret = list;
        return S_OK;
oom:
        free_list(list);
        return E_OUTOFMEMORY;
}

/* Deny before allow; nothing said: denied. */
static bool acl_allows(const struct com_acl_entry *v, size_t n, const struct sec_token *t) {
        for (size_t i = 0; i < n; i++)
                if (v[i].deny && sec_token_has(t, &v[i].sid))
                        return false;
        for (size_t i = 0; i < n; i++)
                if (!v[i].deny && sec_token_has(t, &v[i].sid))
                        return true;
        return false;
}

static HRESULT STDMETHODCALLTYPE ac_IsAccessAllowed(IAccessControl *iface, PTRUSTEEW trustee,
                                                    WCHAR *property, ACCESS_RIGHTS rights,
                                                    BOOL *allowed) {
        struct access_control *ac = impl_from_IAccessControl(iface);
        struct sec_token *t = NULL;
        struct sec_sid sid;
        char name[512], caller_name[512], sid_s[SEC_SID_STRING_MAX + 1];
        HRESULT hr;

        if (!allowed)
                return E_POINTER;
        *allowed = FALSE;
        if (!trustee || property || (rights != 0 && rights != COM_RIGHTS_EXECUTE))
                return E_INVALIDARG;
        /* the caller of the call being checked or run here, with its groups, when the
           trustee names it (COM passes the caller's name); else the trustee's SID with
           what this machine gives it */
        if (com_security_caller_token(&t, caller_name, sizeof caller_name) == 0) {
                bool same = false;
                if (trustee->TrusteeForm == TRUSTEE_IS_NAME && trustee->ptstrName &&
                    !trustee->pMultipleTrustee &&
                    utf16_to_utf8_str(trustee->ptstrName, name, sizeof name) == 0)
                        same = strcasecmp(name, caller_name) == 0;
                if (!same && SUCCEEDED(trustee_sid(trustee, &sid, NULL, 0)) &&
                    sec_sid_format(&sid, sid_s, sizeof sid_s) >= 0)
                        same = strcmp(sec_token_user_sid(t), sid_s) == 0;
                if (!same)
                        t = sec_token_free(t);
        }
        if (!t) {
                if (FAILED(hr = trustee_sid(trustee, &sid, name, sizeof name)))
                        return hr;
                if (sec_sid_format(&sid, sid_s, sizeof sid_s) < 0)
                        return E_INVALIDARG;
                unsigned long uid;
                char tail[2];
                struct sec_token_info info = { .user_sid = sid_s };
                if (sscanf(sid_s, "S-1-22-1-%lu%1s", &uid, tail) == 1) {
                        info.user_sid = NULL;   /* a Unix user: with its Unix groups */
                        info.has_uid = true;
                        info.uid = (uid_t)uid;
                }
                if (sec_token_new(&info, &t) < 0)
                        return E_INVALIDARG;
        }
        pthread_mutex_lock(&ac->lock);
        *allowed = acl_allows(ac->v, ac->n, t) ? TRUE : FALSE;
        pthread_mutex_unlock(&ac->lock);
        sec_token_free(t);
        return S_OK;
}

static const IAccessControlVtbl ac_vtbl = {
        ac_QueryInterface, ac_AddRef, ac_Release, ac_GrantAccessRights, ac_SetAccessRights,
        ac_SetOwner, ac_RevokeAccessRights, ac_GetAllAccessRights, ac_IsAccessAllowed,
};

/* --- IPersistStream ------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE ps_QueryInterface(IPersistStream *iface, REFIID riid, void **ppv) {
        return ac_QueryInterface(&impl_from_IPersistStream(iface)->IAccessControl_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE ps_AddRef(IPersistStream *iface) {
        return ac_AddRef(&impl_from_IPersistStream(iface)->IAccessControl_iface);
}

static ULONG STDMETHODCALLTYPE ps_Release(IPersistStream *iface) {
        return ac_Release(&impl_from_IPersistStream(iface)->IAccessControl_iface);
}

static HRESULT STDMETHODCALLTYPE ps_GetClassID(IPersistStream *iface, CLSID *ret) {
        if (!ret)
                return E_POINTER;
        *ret = CLSID_DCOMAccessControl;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ps_IsDirty(IPersistStream *iface) {
        struct access_control *ac = impl_from_IPersistStream(iface);
        pthread_mutex_lock(&ac->lock);
        bool d = ac->dirty;
        pthread_mutex_unlock(&ac->lock);
        return d ? S_OK : S_FALSE;
}

static HRESULT read_exactly(IStream *stm, void *p, ULONG n) {
        ULONG got = 0;
        HRESULT hr = IStream_Read(stm, p, n, &got);
        if (FAILED(hr))
                return hr;
        return got == n ? S_OK : E_FAIL;
}

static HRESULT STDMETHODCALLTYPE ps_Load(IPersistStream *iface, IStream *stm) {
        struct access_control *ac = impl_from_IPersistStream(iface);
        struct com_acl_entry *v = NULL;
        uint8_t hdr[4], *body;
        size_t n = 0;
        HRESULT hr;

        if (!stm)
                return E_POINTER;
        if (FAILED(hr = read_exactly(stm, hdr, 4)))
                return hr;
        uint32_t len = dcom_get_le32(hdr);
        if (len > ACL_MAX_BYTES || len < 12)
                return E_FAIL;          /* not a list we saved; nothing changes */
        if (!(body = malloc(len)))
                return E_OUTOFMEMORY;
        if (FAILED(hr = read_exactly(stm, body, len))) {
                free(body);
                return hr;
        }
        int r = com_acl_parse(body, len, &v, &n);
        free(body);
        if (r < 0)
                return r == -ENOMEM ? E_OUTOFMEMORY : E_FAIL;
        pthread_mutex_lock(&ac->lock);
        free(ac->v);
        ac->v = v;
        ac->n = n;
        ac->dirty = false;
        pthread_mutex_unlock(&ac->lock);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ps_Save(IPersistStream *iface, IStream *stm, BOOL clear_dirty) {
        struct access_control *ac = impl_from_IPersistStream(iface);
        uint8_t *p = NULL, hdr[4];
        size_t size = 0;
        ULONG done = 0;
        HRESULT hr;

        if (!stm)
                return E_POINTER;
        pthread_mutex_lock(&ac->lock);
        int r = com_acl_format(ac->v, ac->n, &p, &size);
        pthread_mutex_unlock(&ac->lock);
        if (r < 0)
                return E_OUTOFMEMORY;
        dcom_put_le32(hdr, (uint32_t)size);
        hr = IStream_Write(stm, hdr, 4, &done);
        if (SUCCEEDED(hr) && done == 4)
                hr = IStream_Write(stm, p, (ULONG)size, &done);
        if (SUCCEEDED(hr) && done != size)
                hr = STG_E_MEDIUMFULL;
        free(p);
        if (SUCCEEDED(hr) && clear_dirty) {
                pthread_mutex_lock(&ac->lock);
                ac->dirty = false;
                pthread_mutex_unlock(&ac->lock);
        }
        return hr;
}

static HRESULT STDMETHODCALLTYPE ps_GetSizeMax(IPersistStream *iface, ULARGE_INTEGER *ret) {
        struct access_control *ac = impl_from_IPersistStream(iface);

        if (!ret)
                return E_POINTER;
        pthread_mutex_lock(&ac->lock);
        ret->QuadPart = 4 + acl_size(ac->v, ac->n);
        pthread_mutex_unlock(&ac->lock);
        return S_OK;
}

static const IPersistStreamVtbl ps_vtbl = {
        ps_QueryInterface, ps_AddRef, ps_Release, ps_GetClassID, ps_IsDirty, ps_Load, ps_Save,
        ps_GetSizeMax,
};

/* --- an instance (the built-in factory's, git.c) ---------------------------------------------- */

HRESULT com_access_control_create(const IID *riid, void **ppv) {
        struct access_control *ac;
        HRESULT hr;

        if (!(ac = calloc(1, sizeof *ac)))
                return E_OUTOFMEMORY;
        ac->IAccessControl_iface.lpVtbl = &ac_vtbl;
        ac->IPersistStream_iface.lpVtbl = &ps_vtbl;
        atomic_init(&ac->refs, 1);
        pthread_mutex_init(&ac->lock, NULL);
        hr = ac_QueryInterface(&ac->IAccessControl_iface, riid, ppv);
        ac_Release(&ac->IAccessControl_iface);
        return hr;
}
