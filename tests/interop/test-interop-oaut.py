#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
IDispatch against an independent client ([MS-OAUT] 3.1.4): orpc-serve marshals the
automation object of tests/disp-tester.h as IDispatch for another machine; impacket 0.10
resolves the OXID at rpcss, connects with NTLM at PKT_PRIVACY and, through its own
oaut.IDispatch class over the IPID of the OBJREF, calls
  - GetTypeInfoCount (0: no type information yet),
  - GetIDsOfNames by name, in any case, and for a name the object does not have
    (DISP_E_UNKNOWNNAME),
  - Invoke with VT_I4 arguments (Add), a VT_BSTR one (Greet) and a VT_BOOL one (Not),
    reading the VARIANT result it gets back, and one that raises (DISP_E_EXCEPTION with
    its EXCEPINFO),
then gives its reference back (RemRelease).  Exit 77 without python3-impacket or root
(the NTLM account store is root's).
Usage: test-interop-oaut.py BUILD_DIR
"""
import os
import subprocess
import sys
import tempfile
import uuid

import harness
from harness import check, cleanup, finish, free_port, procs, wait_port

build = sys.argv[1]

try:
    from impacket.dcerpc.v5 import transport, rpcrt, dcomrt
    from impacket.dcerpc.v5.dcomrt import (OBJREF_STANDARD, ORPCTHIS, CLASS_INSTANCE, INTERFACE,
                                           IRemUnknown2, DCOMConnection, DCOMANSWER)
    from impacket.dcerpc.v5.dcom import oaut
    from impacket.dcerpc.v5.dcom.oaut import (IDispatch, DISPPARAMS, VARIANT, VARENUM,
                                              DISPATCH_METHOD)
    from impacket.dcerpc.v5.dtypes import NULL, UINT, ULONG
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    from impacket.uuid import string_to_bin
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

if os.geteuid() != 0:
    print("SKIP: the NTLM account store is root's")
    sys.exit(77)

USER, PASSWORD = "oautuser", "Oaut-Secret-1"
IID_IDispatch = string_to_bin("00020400-0000-0000-C000-000000000046")
DISP_E_UNKNOWNNAME = 0x80020006
DISP_E_EXCEPTION = 0x80020009



# impacket's IDispatch_InvokeResponse leaves out rgVarRef ([MS-OAUT] 3.1.4.4: [in, out]),
# so it reads the HRESULT from rgVarRef's conformance -- 0 whatever the call returned.
# The whole response, for the one check that needs the real HRESULT (request classes
# find their response class and session error in their own module: this one).
class Invoke(oaut.IDispatch_Invoke):
    pass


class InvokeResponse(DCOMANSWER):
    structure = (
        ('pVarResult', VARIANT),
        ('pExcepInfo', oaut.EXCEPINFO),
        ('pArgErr', UINT),
        ('rgVarRef', oaut.VARIANT_ARRAY),
        ('ErrorCode', ULONG),
    )


DCERPCSessionError = oaut.DCERPCSessionError

root = tempfile.mkdtemp(prefix="opendcom-oaut-")
env = dict(os.environ, OPENDCOM_ROOT=root, OPENDCOM_ORPC_LISTEN="127.0.0.1")


def start(args, **kw):
    p = subprocess.Popen(args, env=env, **kw)
    procs.append(p)
    return p


def refs(server):
    server.stdin.write("refs\n")
    server.stdin.flush()
    r, c = server.stdout.readline().split()
    return int(r), int(c)


def orpcthis():
    t = ORPCTHIS()
    t['version']['MajorVersion'] = 5
    t['version']['MinorVersion'] = 7
    t['cid'] = uuid.uuid4().bytes
    t['extensions'] = NULL
    return t


def variant(vt, arm, value):
    v = VARIANT(None, False)
    v['clSize'] = 5
    v['rpcReserved'] = 0
    v['vt'] = vt
    v['_varUnion']['tag'] = vt
    if arm == 'bstrVal':
        v['_varUnion']['bstrVal']['asData'] = value
    else:
        v['_varUnion'][arm] = value
    return v


def dispparams(args):
    """args first to last; rgvarg holds them last first."""
    dp = DISPPARAMS(None, False)
    dp['rgdispidNamedArgs'] = NULL
    dp['cArgs'] = len(args)
    dp['cNamedArgs'] = 0
    if not args:
        dp['rgvarg'] = NULL
    for a in reversed(args):
        dp['rgvarg'].append(a)
    return dp


def error_code(e):
    code = getattr(e, 'error_code', None)
    if code is None and hasattr(e, 'get_error_code'):
        code = e.get_error_code()
    return (code or 0) & 0xffffffff


try:
    port = free_port()
    r = subprocess.run([os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", USER],
                       input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=30)
    check("dcompasswd adds the account", r.returncode == 0, r.stderr)
    # issue 15: orpc-serve's AppID (HKCR\\AppID\\orpc-serve, seed 003) grants remote
    # access to authenticated users; Windows' default would let only its own user in
    def reg_tool(*args):
        r = subprocess.run([os.path.join(build, "tools/reg/reg")] + list(args), env=env,
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr
    err = harness.grant_app(reg_tool, "{0A5C3E21-6B7D-4E8F-9A0B-1C2D3E4F5A6B}", exe="orpc-serve",
                            launch=None)
    check("access permission for authenticated users (orpc-serve's AppID)", err is None, err or "")
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w")
    start([os.path.join(build, "services/rpcss"), "--port", str(port), "--listen", "127.0.0.1",
           "--foreground"], stderr=rpcss_log)
    check("rpcss listens", wait_port(port))
    env["OPENDCOM_EPM_PORT"] = str(port)
    server = start([os.path.join(build, "tests/orpc-serve"), "1", "dispatch"],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    objref = bytes.fromhex(server.stdout.readline().strip())
    o = OBJREF_STANDARD(objref)
    check("OBJREF: OBJREF_STANDARD for IDispatch", o['flags'] == 1 and o['iid'] == IID_IDispatch)

    # OXID resolution at rpcss, as a remote client does
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:127.0.0.1[%d]" % port)
    t.set_credentials(USER, PASSWORD, "", "", "")
    dce = t.get_dce_rpc()
    dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
    dce.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    dce.connect()
    dce.bind(dcomrt.IID_IObjectExporter)
    req = dcomrt.ResolveOxid2()
    req['pOxid'] = o['std']['oxid']
    req['cRequestedProtseqs'] = 1
    req['arRequestedProtseqs'].append(7)
    resp = dce.request(req)
    ipid_remunk = resp['pipidRemUnknown']
    bindings = b''.join(x.to_bytes(2, 'little') for x in resp['ppdsaOxidBindings']['aStringArray'])
    sb = bindings[:resp['ppdsaOxidBindings']['wSecurityOffset'] * 2]
    string_bindings = []
    while sb[:2] != b'\x00\x00':
        b = dcomrt.STRINGBINDING(sb)
        string_bindings.append(b)
        sb = sb[len(b):]

    DCOMConnection.PORTMAPS['127.0.0.1'] = dce
    cinstance = CLASS_INSTANCE(orpcthis(), string_bindings)
    cinstance.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
    iface = INTERFACE(cinstance, objref, ipid_remunk, target='127.0.0.1')
    disp = IDispatch(iface)

    # GetTypeInfoCount: impacket sends a stray [in] pointer after ORPCTHIS (its request
    # class declares pwszMachineName); the stub reads what it needs and ignores the rest
    try:
        r = disp.GetTypeInfoCount()
        check("GetTypeInfoCount: 0, S_OK", r['pctinfo'] == 0 and r['ErrorCode'] == 0,
              "%s %s" % (r['pctinfo'], r['ErrorCode']))
    except Exception as e:  # noqa: BLE001
        check("GetTypeInfoCount answers", False, str(e))

    ids = disp.GetIDsOfNames(['Add'])
    check("GetIDsOfNames(Add) = 1", ids == [1], str(ids))
    ids = disp.GetIDsOfNames(['gREET'])
    check("GetIDsOfNames is case-insensitive: gREET = 2", ids == [2], str(ids))
    try:
        ids = disp.GetIDsOfNames(['NoSuchMember'])
        check("an unknown name is refused", False, str(ids))
    except DCERPCException as e:
        check("an unknown name: DISP_E_UNKNOWNNAME", error_code(e) == DISP_E_UNKNOWNNAME, str(e))

    def invoke(dispid, args):
        return disp.Invoke(dispid, 0x409, DISPATCH_METHOD, dispparams(args), 0, [], [])

    refs0, calls0 = refs(server)
    r = invoke(1, [variant(VARENUM.VT_I4, 'lVal', 40), variant(VARENUM.VT_I4, 'lVal', 2)])
    res = r['pVarResult']
    check("Invoke Add(40, 2): VT_I4 42, S_OK",
          res['vt'] == VARENUM.VT_I4 and res['_varUnion']['lVal'] == 42 and r['ErrorCode'] == 0,
          "%s %s" % (res['vt'], r['ErrorCode']))

    r = invoke(2, [variant(VARENUM.VT_BSTR, 'bstrVal', 'impacket')])
    res = r['pVarResult']
    got = res['_varUnion']['bstrVal']['asData'] if res['vt'] == VARENUM.VT_BSTR else None
    check("Invoke Greet('impacket'): VT_BSTR '>impacket'", got == '>impacket', str(got))

    r = invoke(3, [variant(VARENUM.VT_BOOL, 'boolVal', 0)])
    res = r['pVarResult']
    check("Invoke Not(FALSE): VT_BOOL VARIANT_TRUE",
          res['vt'] == VARENUM.VT_BOOL and res['_varUnion']['boolVal'] & 0xffff == 0xffff,
          "%s" % res['vt'])

    # a BSTR where a number is wanted: the object coerces it, as automation servers do
    r = invoke(1, [variant(VARENUM.VT_BSTR, 'bstrVal', '40'), variant(VARENUM.VT_I4, 'lVal', 2)])
    check("Invoke Add('40', 2): 42", r['pVarResult']['_varUnion']['lVal'] == 42)

    # Fail() raises: with impacket's own response class the exception says 0 (see
    # InvokeResponse above); with the complete one, DISP_E_EXCEPTION and the EXCEPINFO
    try:
        invoke(9, [])
        check("Fail raises (impacket's own Invoke)", False)
    except DCERPCException:
        check("Fail raises (impacket's own Invoke)", True)
    req = Invoke()
    req['dispIdMember'] = 9
    req['riid'] = oaut.IID_NULL
    req['lcid'] = 0x409
    req['dwFlags'] = DISPATCH_METHOD
    req['pDispParams'] = dispparams([])
    req['cVarRef'] = 0
    req['rgVarRefIdx'] = []
    req['rgVarRef'] = []
    try:
        iface.request(req, IID_IDispatch, iface.get_iPid())
        check("Invoke Fail(): DISP_E_EXCEPTION", False)
    except DCERPCException as e:
        ok = error_code(e) == DISP_E_EXCEPTION
        detail = str(e)
        pkt = e.get_packet() if hasattr(e, 'get_packet') else None
        if ok and pkt is not None:
            ei = pkt['pExcepInfo']
            ok = ei['bstrDescription']['asData'] == 'it failed' and \
                ei['bstrSource']['asData'] == 'tester' and ei['scode'] & 0xffffffff == 0x80004005
            detail = "%s %s %x" % (ei['bstrSource']['asData'], ei['bstrDescription']['asData'],
                                   ei['scode'] & 0xffffffff)
        check("Invoke Fail(): DISP_E_EXCEPTION, EXCEPINFO 'tester' / 'it failed' / E_FAIL",
              ok, detail)
    now = refs(server)
    check("the object served every Invoke and holds no reference more", now[1] == calls0 + 6 and
          now[0] == refs0, "%s -> %s" % ((refs0, calls0), now))

    r = IRemUnknown2(iface).RemRelease()
    check("RemRelease: S_OK", r['ErrorCode'] == 0)
    dce.disconnect()
    server.stdin.write("quit\n")
    server.stdin.flush()
    check("orpc-serve exits cleanly", server.wait(10) == 0)
finally:
    DCOMConnection.PORTMAPS.clear()
    cleanup(root)
finish()
