/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EOAC_ACCESS_CONTROL and CLSID_DCOMAccessControl (issue 15): the system's IAccessControl
 * in process (grant, set, revoke, list, deny before allow, Windows' argument rules, saved
 * and loaded through IPersistStream, every damaged stream refused with the list kept),
 * and a server process whose CoInitializeSecurity hands COM an IAccessControl: over
 * ncalrpc (the kernel names the callers) it admits one local user and refuses another
 * with E_ACCESSDENIED while it keeps serving; it changes its mind between two calls of one
 * client on one connection and the second call follows; an object that fails or answers
 * garbage refuses; COM asks with the caller's name and COM_RIGHTS_EXECUTE.
 */
#define COBJMACROS
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iaccess.h>
#include <objbase.h>
#include <sddl.h>

#include "com/accesscontrol.h"
#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "obj_stub.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

#define UID_ALLOWED 1           /* daemon */
#define UID_REFUSED 65534       /* nobody */

static WCHAR *w(const char *s) {
        WCHAR *r = NULL;
        ASSERT_OK(dcom_utf8_to_utf16(s, strlen(s), &r, NULL));
        return r;
}

/* A one-entry list: name (TRUSTEE_IS_NAME) or sid (TRUSTEE_IS_SID). */
struct one_list {
        ACTRL_ACCESSW list;
        ACTRL_PROPERTY_ENTRYW prop;
        ACTRL_ACCESS_ENTRY_LISTW el;
        ACTRL_ACCESS_ENTRYW e[2];
        WCHAR *names[2];
        PSID sids[2];
};

static void entry(struct one_list *l, unsigned i, const char *who, bool by_sid, ULONG flags) {
        ACTRL_ACCESS_ENTRYW *e = &l->e[i];
        memset(e, 0, sizeof *e);
        e->Trustee.TrusteeType = TRUSTEE_IS_USER;
        if (by_sid) {
                ASSERT_TRUE(ConvertStringSidToSidA(who, &l->sids[i]));
                e->Trustee.TrusteeForm = TRUSTEE_IS_SID;
                e->Trustee.ptstrName = (WCHAR *)l->sids[i];
        } else {
                l->names[i] = w(who);
                e->Trustee.TrusteeForm = TRUSTEE_IS_NAME;
                e->Trustee.ptstrName = l->names[i];
        }
        e->fAccessFlags = flags;
        e->Access = COM_RIGHTS_EXECUTE;
}

static ACTRL_ACCESSW *list_of(struct one_list *l, unsigned n) {
        l->el.cEntries = n;
        l->el.pAccessList = l->e;
        l->prop = (ACTRL_PROPERTY_ENTRYW){ NULL, &l->el, 0 };
        l->list = (ACTRL_ACCESSW){ 1, &l->prop };
        return &l->list;
}

static void list_done(struct one_list *l) {
        for (unsigned i = 0; i < 2; i++) {
                free(l->names[i]);
                LocalFree(l->sids[i]);
        }
        memset(l, 0, sizeof *l);
}

static BOOL allowed(IAccessControl *ac, const char *name) {
        WCHAR *n = w(name);
        TRUSTEE_W t = { NULL, NO_MULTIPLE_TRUSTEE, TRUSTEE_IS_NAME, TRUSTEE_IS_USER, n };
        BOOL ok = 7;
        ASSERT_HR_EQ(IAccessControl_IsAccessAllowed(ac, &t, NULL, COM_RIGHTS_EXECUTE, &ok), S_OK);
        free(n);
        ASSERT_TRUE(ok == TRUE || ok == FALSE);
        return ok;
}

static void free_all_nodes(ACTRL_ACCESSW *l) {
        ACTRL_ACCESS_ENTRY_LISTW *el = l->pPropertyAccessList->pAccessEntryList;
        for (ULONG i = 0; i < el->cEntries; i++)
                CoTaskMemFree(el->pAccessList[i].Trustee.ptstrName);
        CoTaskMemFree(el->pAccessList);
        CoTaskMemFree(el);
        CoTaskMemFree(l->pPropertyAccessList);
        CoTaskMemFree(l);
}

static IAccessControl *new_ac(void) {
        IAccessControl *ac = NULL;
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_DCOMAccessControl, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IAccessControl, (void **)&ac), S_OK);
        ASSERT_NOT_NULL(ac);
        return ac;
}

/* The object's rules, in process: deny before allow, nothing said is no, Windows' limits. */
TEST(dcom_access_control_in_process) {
        struct one_list l = { 0 };
        IAccessControl *ac;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ac = new_ac();
        ASSERT_FALSE(allowed(ac, "daemon"));            /* an empty list admits no one */
        entry(&l, 0, "daemon", false, ACTRL_ACCESS_ALLOWED);
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(ac, list_of(&l, 1)), S_OK);
        list_done(&l);
        ASSERT_TRUE(allowed(ac, "daemon"));
        ASSERT_TRUE(allowed(ac, "S-1-22-1-1"));         /* the same account by its SID */
        ASSERT_FALSE(allowed(ac, "nobody"));
        /* Everyone allowed, nobody denied (by SID): deny wins whatever the order */
        entry(&l, 0, "S-1-1-0", true, ACTRL_ACCESS_ALLOWED);
        entry(&l, 1, "S-1-22-1-65534", true, ACTRL_ACCESS_DENIED);
        ASSERT_HR_EQ(IAccessControl_GrantAccessRights(ac, list_of(&l, 2)), S_OK);
        list_done(&l);
        ASSERT_FALSE(allowed(ac, "nobody"));
        ASSERT_TRUE(allowed(ac, "bin"));                /* through Everyone */
        /* Windows' rules for COM's implementation: each refused whole, nothing changed */
        entry(&l, 0, "nobody", false, ACTRL_ACCESS_ALLOWED);
        l.e[0].Access = COM_RIGHTS_EXECUTE_LOCAL;
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(ac, list_of(&l, 1)), E_INVALIDARG);
        l.e[0].Access = COM_RIGHTS_EXECUTE;
        l.e[0].fAccessFlags = ACTRL_AUDIT_SUCCESS;
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(ac, list_of(&l, 1)), E_INVALIDARG);
        l.e[0].fAccessFlags = ACTRL_ACCESS_ALLOWED;
        list_of(&l, 1);
        l.prop.lpProperty = l.names[0];
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(ac, &l.list), E_INVALIDARG);
        list_done(&l);
        entry(&l, 0, "no-such-user-here", false, ACTRL_ACCESS_ALLOWED);
        ASSERT_TRUE(FAILED(IAccessControl_SetAccessRights(ac, list_of(&l, 1))));
        list_done(&l);
        ASSERT_FALSE(allowed(ac, "nobody"));
        ASSERT_TRUE(allowed(ac, "daemon"));
        WCHAR *n = w("daemon");
        TRUSTEE_W t = { NULL, NO_MULTIPLE_TRUSTEE, TRUSTEE_IS_NAME, TRUSTEE_IS_USER, n };
        BOOL ok;
        ASSERT_HR_EQ(IAccessControl_IsAccessAllowed(ac, &t, n, COM_RIGHTS_EXECUTE, &ok), E_INVALIDARG);
        ASSERT_HR_EQ(IAccessControl_IsAccessAllowed(ac, &t, NULL, 2, &ok), E_INVALIDARG);
        ASSERT_HR_EQ(IAccessControl_SetOwner(ac, &t, NULL), E_NOTIMPL);
        /* the list as entered: three entries, names that name them again */
        ACTRL_ACCESSW *all = NULL;
        TRUSTEEW *owner = (TRUSTEEW *)1, *group = (TRUSTEEW *)1;
        ASSERT_HR_EQ(IAccessControl_GetAllAccessRights(ac, NULL, &all, &owner, &group), S_OK);
        ASSERT_NULL(owner);
        ASSERT_NULL(group);
        ASSERT_EQ(all->cEntries, 1u);
        ACTRL_ACCESS_ENTRY_LISTW *el = all->pPropertyAccessList->pAccessEntryList;
        ASSERT_EQ(el->cEntries, 3u);
        unsigned denied = 0;
        for (ULONG i = 0; i < el->cEntries; i++) {
                ASSERT_EQ(el->pAccessList[i].Trustee.TrusteeForm, TRUSTEE_IS_NAME);
                ASSERT_EQ(el->pAccessList[i].Access, (ULONG)COM_RIGHTS_EXECUTE);
                denied += el->pAccessList[i].fAccessFlags == ACTRL_ACCESS_DENIED;
        }
        ASSERT_EQ(denied, 1u);
        /* ... which SetAccessRights takes back as they are */
        IAccessControl *copy = new_ac();
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(copy, all), S_OK);
        ASSERT_FALSE(allowed(copy, "nobody"));
        ASSERT_TRUE(allowed(copy, "daemon"));
        IAccessControl_Release(copy);
        free_all_nodes(all);
        /* revoking a trustee removes its entries, allow and deny */
        t.TrusteeForm = TRUSTEE_IS_NAME;
        free(n);
        n = w("nobody");
        t.ptstrName = n;
        ASSERT_HR_EQ(IAccessControl_RevokeAccessRights(ac, NULL, 1, &t), S_OK);
        ASSERT_TRUE(allowed(ac, "nobody"));             /* Everyone's entry now */
        free(n);
        IAccessControl_Release(ac);
        CoUninitialize();
}

static IStream *saved(IAccessControl *ac, uint8_t **ret, size_t *ret_n) {
        IPersistStream *ps = NULL;
        IStream *stm;
        ULARGE_INTEGER max;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ULARGE_INTEGER end;
        ASSERT_HR_EQ(IAccessControl_QueryInterface(ac, &IID_IPersistStream, (void **)&ps), S_OK);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_HR_EQ(IPersistStream_IsDirty(ps), S_OK);
        ASSERT_HR_EQ(IPersistStream_Save(ps, stm, TRUE), S_OK);
        ASSERT_HR_EQ(IPersistStream_IsDirty(ps), S_FALSE);
        ASSERT_HR_EQ(IPersistStream_GetSizeMax(ps, &max), S_OK);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_CUR, &end));
        ASSERT_EQ(end.QuadPart, max.QuadPart);
        IPersistStream_Release(ps);
        *ret_n = (size_t)end.QuadPart;
        *ret = malloc(*ret_n);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(IStream_Read(stm, *ret, (ULONG)*ret_n, NULL));
        return stm;
}

static HRESULT load(IAccessControl *ac, const uint8_t *p, size_t n) {
        IPersistStream *ps = NULL;
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_HR_EQ(IAccessControl_QueryInterface(ac, &IID_IPersistStream, (void **)&ps), S_OK);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        if (n)
                ASSERT_OK(IStream_Write(stm, p, (ULONG)n, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        HRESULT hr = IPersistStream_Load(ps, stm);
        IStream_Release(stm);
        IPersistStream_Release(ps);
        return hr;
}

/* IPersistStream: a list saved loads into another object with the same decisions; every
   cut and every damaged byte is refused and leaves the loading object's list as it was. */
TEST(dcom_access_control_persist) {
        struct one_list l = { 0 };
        IAccessControl *ac, *other;
        IPersistStream *ps;
        CLSID clsid;
        uint8_t *bytes;
        size_t n;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ac = new_ac();
        entry(&l, 0, "daemon", false, ACTRL_ACCESS_ALLOWED);
        entry(&l, 1, "S-1-22-1-65534", true, ACTRL_ACCESS_DENIED);
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(ac, list_of(&l, 2)), S_OK);
        list_done(&l);
        ASSERT_HR_EQ(IAccessControl_QueryInterface(ac, &IID_IPersist, (void **)&ps), S_OK);
        ASSERT_HR_EQ(IPersistStream_GetClassID(ps, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_DCOMAccessControl));
        IPersistStream_Release(ps);
        IStream *stm = saved(ac, &bytes, &n);   /* a variable: the macro names it twice */
        IStream_Release(stm);

        other = new_ac();
        entry(&l, 0, "bin", false, ACTRL_ACCESS_ALLOWED);
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(other, list_of(&l, 1)), S_OK);
        list_done(&l);
        for (size_t cut = 0; cut < n; cut++)
                ASSERT_TRUE(FAILED(load(other, bytes, cut)));
        for (size_t i = 0; i < n; i++) {
                for (unsigned bit = 0; bit < 8; bit++) {
                        bytes[i] ^= (uint8_t)(1u << bit);
                        HRESULT hr = load(other, bytes, n);
                        bytes[i] ^= (uint8_t)(1u << bit);
                        if (SUCCEEDED(hr)) {
                                /* only a flip inside a SID's sub-authorities can still
                                   be a valid list: then it holds other SIDs; start over */
                                ASSERT_GE(i, 4 + 12 + 5 + 2);
                                entry(&l, 0, "bin", false, ACTRL_ACCESS_ALLOWED);
                                ASSERT_HR_EQ(IAccessControl_SetAccessRights(other, list_of(&l, 1)), S_OK);
                                list_done(&l);
                        }
                }
        }
        ASSERT_TRUE(allowed(other, "bin"));             /* nothing refused changed it */
        ASSERT_FALSE(allowed(other, "daemon"));
        ASSERT_HR_EQ(load(other, bytes, n), S_OK);
        ASSERT_TRUE(allowed(other, "daemon"));
        ASSERT_FALSE(allowed(other, "nobody"));
        ASSERT_FALSE(allowed(other, "bin"));
        /* the parser itself: a count promising more entries than bytes */
        struct com_acl_entry *v = NULL;
        size_t nv = 0;
        uint8_t big[12] = { 'D', 'C', 'A', 'C', 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
        ASSERT_ERRNO(com_acl_parse(big, sizeof big, &v, &nv), -EBADMSG);
        ASSERT_OK(com_acl_parse(bytes + 4, n - 4, &v, &nv));
        ASSERT_EQ(nv, 2u);
        free(v);
        free(bytes);
        IAccessControl_Release(other);
        IAccessControl_Release(ac);
        CoUninitialize();
}

/* --- a server process that hands COM its IAccessControl -------------------------------------- */

/* The object: IObjTest2::Add counts the calls that ran. */
static atomic_int calls_run;

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_ref(IObjTest2 *This) {
        return 2;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        atomic_fetch_add(&calls_run, 1);
        *sum = a + b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **g) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_get(IObjTest2 *This, LONG *v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_put(IObjTest2 *This, LONG v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return o_qi(This, riid, ppv);
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi, o_ref, o_ref, o_add, o_greet, o_sum, o_get, o_put, o_pair, o_fail, o_twice, o_peer,
};

static IObjTest2 the_obj = { &obj_vtbl };

/*
 * The server's own IAccessControl, written the Windows way: it keeps a
 * CLSID_DCOMAccessControl for its list, records what COM asked, and in modes 1-3 answers
 * badly (a failure; S_OK with a BOOL that is neither TRUE nor FALSE; S_FALSE with TRUE).
 */
struct guard {
        IAccessControl IAccessControl_iface;
        IAccessControl *inner;
        pthread_mutex_t lock;
        int mode;
        char last_name[256];
        ACCESS_RIGHTS last_rights;
};

static struct guard the_guard;

static HRESULT STDMETHODCALLTYPE g_qi(IAccessControl *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAccessControl)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE g_ref(IAccessControl *This) {
        return 2;
}

static HRESULT STDMETHODCALLTYPE g_grant(IAccessControl *This, PACTRL_ACCESSW l) {
        return IAccessControl_GrantAccessRights(the_guard.inner, l);
}

static HRESULT STDMETHODCALLTYPE g_set(IAccessControl *This, PACTRL_ACCESSW l) {
        return IAccessControl_SetAccessRights(the_guard.inner, l);
}

static HRESULT STDMETHODCALLTYPE g_owner(IAccessControl *This, PTRUSTEEW o, PTRUSTEEW g) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE g_revoke(IAccessControl *This, WCHAR *p, ULONG n, TRUSTEEW *t) {
        return IAccessControl_RevokeAccessRights(the_guard.inner, p, n, t);
}

static HRESULT STDMETHODCALLTYPE g_all(IAccessControl *This, WCHAR *p,
                                       PACTRL_ACCESSW_ALLOCATE_ALL_NODES *l, PTRUSTEEW *o,
                                       PTRUSTEEW *g) {
        return IAccessControl_GetAllAccessRights(the_guard.inner, p, l, o, g);
}

static HRESULT STDMETHODCALLTYPE g_is(IAccessControl *This, PTRUSTEEW t, WCHAR *p,
                                      ACCESS_RIGHTS rights, BOOL *ok) {
        char *name = NULL;
        pthread_mutex_lock(&the_guard.lock);
        the_guard.last_rights = rights;
        if (t && t->TrusteeForm == TRUSTEE_IS_NAME &&
            dcom_utf16_to_utf8(t->ptstrName, dcom_utf16_len(t->ptstrName), &name, NULL) >= 0)
                snprintf(the_guard.last_name, sizeof the_guard.last_name, "%s", name);
        int mode = the_guard.mode;
        pthread_mutex_unlock(&the_guard.lock);
        free(name);
        switch (mode) {
        case 1:
                *ok = TRUE;
                return E_FAIL;
        case 2:
                *ok = 2;
                return S_OK;
        case 3:
                *ok = TRUE;
                return S_FALSE;
        default:
                return IAccessControl_IsAccessAllowed(the_guard.inner, t, p, rights, ok);
        }
}

static const IAccessControlVtbl guard_vtbl = {
        g_qi, g_ref, g_ref, g_grant, g_set, g_owner, g_revoke, g_all, g_is,
};

/* Only uid may call: by name, or (by_sid) by SID with the other uid denied. */
static void only(uid_t uid, uid_t deny) {
        struct one_list l = { 0 };
        char sid[64];
        snprintf(sid, sizeof sid, "S-1-22-1-%u", (unsigned)uid);
        entry(&l, 0, sid, true, ACTRL_ACCESS_ALLOWED);
        snprintf(sid, sizeof sid, "S-1-22-1-%u", (unsigned)deny);
        entry(&l, 1, sid, true, ACTRL_ACCESS_DENIED);
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(&the_guard.IAccessControl_iface, list_of(&l, 2)), S_OK);
        list_done(&l);
}

/*
 * The server: CoInitializeSecurity(EOAC_ACCESS_CONTROL) with its guard admitting only
 * daemon (by name), then the OBJREF to the test, then one-byte commands: 's' swaps who
 * may call (nobody, daemon denied), 'g' admits the Unix group daemon only, 'm' N sets the guard's mode, 'n' sends what COM last
 * asked, 'c' the calls that ran; each answered with a byte, 'q' quits.
 */
static _Noreturn void server_main(int in, int out) {
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        char cmd;

        ASSERT_OK(com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface));
        ASSERT_OK(com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface));
        the_guard.IAccessControl_iface.lpVtbl = &guard_vtbl;
        pthread_mutex_init(&the_guard.lock, NULL);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        the_guard.inner = new_ac();
        struct one_list l = { 0 };
        entry(&l, 0, "daemon", false, ACTRL_ACCESS_ALLOWED);
        ASSERT_HR_EQ(IAccessControl_SetAccessRights(&the_guard.IAccessControl_iface, list_of(&l, 1)), S_OK);
        list_done(&l);
        ASSERT_HR_EQ(CoInitializeSecurity(&the_guard.IAccessControl_iface, -1, NULL, NULL,
                                          RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IDENTIFY,
                                          NULL, EOAC_ACCESS_CONTROL, NULL), S_OK);
        ASSERT_NOT_NULL(strstr(com_security_describe(), "IAccessControl"));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&the_obj, MSHCTX_LOCAL,
                                     NULL, MSHLFLAGS_TABLESTRONG));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        while (read(in, &cmd, 1) == 1 && cmd != 'q') {
                if (cmd == 's') {
                        only(UID_REFUSED, UID_ALLOWED);
                } else if (cmd == 'g') {
                        /* a group: the caller's token, with its Unix groups, decides */
                        struct one_list g = { 0 };
                        entry(&g, 0, "S-1-22-2-1", true, ACTRL_ACCESS_ALLOWED);
                        ASSERT_HR_EQ(IAccessControl_SetAccessRights(&the_guard.IAccessControl_iface,
                                                                    list_of(&g, 1)), S_OK);
                        list_done(&g);
                } else if (cmd == 'm') {
                        char m;
                        xread(in, &m, 1);
                        pthread_mutex_lock(&the_guard.lock);
                        the_guard.mode = m;
                        pthread_mutex_unlock(&the_guard.lock);
                } else if (cmd == 'n') {
                        pthread_mutex_lock(&the_guard.lock);
                        uint32_t r = the_guard.last_rights, n = (uint32_t)strlen(the_guard.last_name);
                        xwrite(out, &r, sizeof r);
                        xwrite(out, &n, sizeof n);
                        xwrite(out, the_guard.last_name, n);
                        pthread_mutex_unlock(&the_guard.lock);
                } else if (cmd == 'c') {
                        int32_t c = atomic_load(&calls_run);
                        xwrite(out, &c, sizeof c);
                }
                xwrite(out, "k", 1);
        }
        _exit(0);
}

static int srv_to, srv_from;
static uint8_t objref[2048];
static uint32_t objref_len;

static void cmd(char c, char arg) {
        char k;
        xwrite(srv_to, &c, 1);
        if (c == 'm')
                xwrite(srv_to, &arg, 1);
        if (c == 'c' || c == 'n' || c == 'q')
                return;         /* the caller reads the answer, then the 'k'; 'q': none */
        xread(srv_from, &k, 1);
        ASSERT_EQ(k, 'k');
}

/*
 * A client as uid: unmarshals the OBJREF and calls Add once per byte read from go (its
 * HRESULT written to res after each); go closed: it exits.
 */
static pid_t client(uid_t uid, int *go_w, int *res_r) {
        int go[2], res[2];
        ASSERT_OK(pipe(go));
        ASSERT_OK(pipe(res));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                IObjTest2 *p = NULL;
                IStream *stm;
                LARGE_INTEGER zero = { .QuadPart = 0 };
                char c;
                close(go[1]);
                close(res[0]);
                if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
                        _exit(3);
                com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
                com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
                HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
                if (SUCCEEDED(hr))
                        hr = CreateStreamOnHGlobal(NULL, TRUE, &stm);
                if (SUCCEEDED(hr)) {
                        IStream_Write(stm, objref, objref_len, NULL);
                        IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL);
                        hr = CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p);
                }
                while (read(go[0], &c, 1) == 1) {
                        LONG v = 0;
                        HRESULT r = FAILED(hr) ? hr : IObjTest2_Add(p, 2, 3, &v);
                        if (r == S_OK && v != 5)
                                r = E_UNEXPECTED;
                        if (write(res[1], &r, sizeof r) != sizeof r)
                                _exit(4);
                }
                _exit(0);
        }
        close(go[0]);
        close(res[1]);
        *go_w = go[1];
        *res_r = res[0];
        return pid;
}

static HRESULT call_once(int go, int res) {
        HRESULT hr;
        xwrite(go, "x", 1);
        xread(res, &hr, sizeof hr);
        return hr;
}

static void client_end(pid_t pid, int go, int res) {
        int status;
        close(go);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(res);
}

/* One call as uid, from a process of its own. */
static HRESULT call_as(uid_t uid) {
        int go, res;
        pid_t pid = client(uid, &go, &res);
        HRESULT hr = call_once(go, res);
        client_end(pid, go, res);
        return hr;
}

static int32_t calls_ran(void) {
        int32_t c;
        char k;
        cmd('c', 0);
        xread(srv_from, &c, sizeof c);
        xread(srv_from, &k, 1);
        return c;
}

TEST(eoac_access_control_across_processes) {
        int a[2], b[2], status;

        if (geteuid() != 0)
                SKIP("needs root to run clients as daemon and nobody");
        ASSERT_OK(chmod(test_state_dir(), 0755));
        rpcss_start();
        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid_t server = fork();
        ASSERT_GE(server, 0);
        if (server == 0) {
                close(a[1]);
                close(b[0]);
                server_main(a[0], b[1]);
        }
        close(a[0]);
        close(b[1]);
        srv_to = a[1];
        srv_from = b[0];
        xread(srv_from, &objref_len, sizeof objref_len);
        ASSERT_LE(objref_len, sizeof objref);
        xread(srv_from, objref, objref_len);

        /* the object admits daemon and refuses nobody; the server keeps serving */
        ASSERT_HR_EQ(call_as(UID_ALLOWED), S_OK);
        ASSERT_HR_EQ(call_as(UID_REFUSED), E_ACCESSDENIED);
        ASSERT_HR_EQ(call_as(UID_ALLOWED), S_OK);
        ASSERT_EQ(calls_ran(), 2);              /* the refused call never ran */
        /* COM asked with the caller's name and COM_RIGHTS_EXECUTE */
        uint32_t rights, n;
        char name[256] = { 0 }, k;
        cmd('n', 0);
        xread(srv_from, &rights, sizeof rights);
        xread(srv_from, &n, sizeof n);
        ASSERT_LT(n, sizeof name);
        xread(srv_from, name, n);
        xread(srv_from, &k, 1);
        ASSERT_EQ(rights, (uint32_t)COM_RIGHTS_EXECUTE);
        ASSERT_NOT_NULL(strstr(name, "\\daemon"));

        /* it changes its mind between two calls of one client on one connection (well
           within the admission cache's second): the second call follows it */
        int go, res;
        pid_t c = client(UID_ALLOWED, &go, &res);
        ASSERT_HR_EQ(call_once(go, res), S_OK);
        cmd('s', 0);
        ASSERT_HR_EQ(call_once(go, res), E_ACCESSDENIED);
        ASSERT_HR_EQ(call_once(go, res), E_ACCESSDENIED);
        client_end(c, go, res);
        c = client(UID_REFUSED, &go, &res);
        ASSERT_HR_EQ(call_once(go, res), S_OK);     /* nobody, by SID, now admitted */
        /* an object that fails or answers garbage refuses, call by call */
        for (char mode = 1; mode <= 3; mode++) {
                cmd('m', mode);
                ASSERT_HR_EQ(call_once(go, res), E_ACCESSDENIED);
        }
        cmd('m', 0);
        ASSERT_HR_EQ(call_once(go, res), S_OK);
        /* by group (gid 1, daemon's): CLSID_DCOMAccessControl asks with the caller's
           token, its groups included */
        cmd('g', 0);
        ASSERT_HR_EQ(call_once(go, res), E_ACCESSDENIED);
        client_end(c, go, res);
        ASSERT_HR_EQ(call_as(UID_ALLOWED), S_OK);
        ASSERT_EQ(calls_ran(), 6);              /* 2 before, 4 since: none refused ran */

        cmd('q', 0);
        ASSERT_EQ(waitpid(server, &status, 0), server);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(srv_to);
        close(srv_from);
        rpcss_stop();
}

/* CoInitializeSecurity's rules for it: NULL or a non-IAccessControl is E_INVALIDARG,
   EOAC_APPID with it too; nothing is settled by a refused call. */
TEST(eoac_access_control_arguments) {
        pid_t pid = fork();
        int status;
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                ASSERT_HR_EQ(CoInitializeSecurity(NULL, -1, NULL, NULL, 0, 0, NULL,
                                                  EOAC_ACCESS_CONTROL, NULL), E_INVALIDARG);
                ASSERT_HR_EQ(CoInitializeSecurity(&the_obj, -1, NULL, NULL, 0, 0, NULL,
                                                  EOAC_ACCESS_CONTROL, NULL), E_INVALIDARG);
                the_guard.IAccessControl_iface.lpVtbl = &guard_vtbl;
                ASSERT_HR_EQ(CoInitializeSecurity(&the_guard.IAccessControl_iface, -1, NULL, NULL,
                                                  0, 0, NULL, EOAC_ACCESS_CONTROL | EOAC_APPID,
                                                  NULL), E_INVALIDARG);
                ASSERT_HR_EQ(CoInitializeSecurity(&the_guard.IAccessControl_iface, -1, NULL, NULL,
                                                  0, 0, NULL, EOAC_ACCESS_CONTROL, NULL), S_OK);
                ASSERT_HR_EQ(CoInitializeSecurity(&the_guard.IAccessControl_iface, -1, NULL, NULL,
                                                  0, 0, NULL, EOAC_ACCESS_CONTROL, NULL),
                             RPC_E_TOO_LATE);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
