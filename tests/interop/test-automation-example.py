#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
The Automation example (examples/automation) end to end: stats-server -RegServer
registers its class and the type library dcomidl --tlb wrote (RegisterTypeLib's
HKCR\\TypeLib and HKCR\\Interface keys); our C and C++ late-bound clients activate it in
its local server (rpcss has dcomlaunch start it) and call every member by name; then
impacket 0.10 (an independent client) creates it over NTLM at PKT_PRIVACY and calls it
by name too -- the server's IDispatch is the type library's (DispGetIDsOfNames,
DispInvoke) -- and reads its type through IDispatch::GetTypeInfo's ITypeInfo
([MS-OAUT] 3.7: GetTypeAttr, GetFuncDesc, GetNames, GetDocumentation, enumerateMethods),
which tshark, when installed, dissects (decrypted with the account's password) without a
malformed packet.  The server exits with its last object; -UnregServer removes the keys.

Runs in a network namespace of its own (port 135 for impacket's DCOMConnection); needs
root and python3-impacket for the impacket part, exit 77 without root.
Usage: test-automation-example.py BUILD_DIR
"""
import os
import pwd
import sys
import time

if os.geteuid() != 0:
    print("SKIP: needs root (a network namespace, the NTLM account store)")
    sys.exit(77)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
harness.reexec_in_netns()
from harness import check, cleanup, finish, grant_app, hresult, wait_port

build = sys.argv[1]
USER, PASSWORD = "statsuser", "Automate-Me-1"
CLSID = "8a0c3e61-2f4b-4d7a-9c15-6e3b1f0a7d42"
APPID = "{8A0C3E61-2F4B-4D7A-9C15-6E3B1F0A7D43}"
LIBID = "{8A0C3E61-2F4B-4D7A-9C15-6E3B1F0A7D40}"
IID_IStats = "{8A0C3E61-2F4B-4D7A-9C15-6E3B1F0A7D41}"
IID_Stats_bare = "8a0c3e61-2f4b-4d7a-9c15-6e3b1f0a7d41"

root, env, tool, reg, start = harness.private_instance(build, "opendcom-auto-")
# a 3 s ping period (instead of 120 s) for the server dcomlaunch starts: impacket gives
# back one of the activation's references and leaves the rest to pinging's rundown
env["OPENDCOM_PING_PERIOD_MS"] = "3000"


def server_pids():
    return harness.pids_of("stats-server -Embedding", root)


def wait_gone(deadline_s):
    end = time.time() + deadline_s
    while time.time() < end and server_pids():
        time.sleep(0.1)
    return not server_pids()


# What stats.idl's IStats says, as GetTypeInfo's dispatch view of the dual interface
# carries it: IUnknown's and IDispatch's methods first (restricted), then the library's
# own; each with its parameters' names (a dispatch view drops the [retval] one).
# GetNames goes by memid, so Name's put answers as its get (no parameter), and a type
# library keeps one spelling of a name: Count is "count", as Add's [retval] spelled it
# first.
STATS_FUNCS = [("QueryInterface", ["riid", "ppvObj"]), ("AddRef", []), ("Release", []),
               ("GetTypeInfoCount", ["pctinfo"]),
               ("GetTypeInfo", ["itinfo", "lcid", "pptinfo"]),
               ("GetIDsOfNames", ["riid", "rgszNames", "cNames", "lcid", "rgdispid"]),
               ("Invoke", ["dispidMember", "riid", "lcid", "wFlags", "pdispparams",
                           "pvarResult", "pexcepinfo", "puArgErr"]),
               ("Name", []), ("Name", []), ("Add", ["value"]), ("count", []),
               ("Mean", []), ("Values", []), ("Describe", ["prefix"]), ("Clear", [])]


def type_info_by_impacket(disp):
    """[MS-OAUT] 3.7 by an independent client: IDispatch::GetTypeInfo hands out an
    ITypeInfo (an OBJREF), and impacket's ITypeInfo reads the type through it --
    GetTypeAttr, GetFuncDesc and GetNames for each function (its enumerateMethods too),
    GetDocumentation -- then asks for 0x7fffffff names (refused, the server unhurt)."""
    import contextlib
    import io
    from impacket.dcerpc.v5.dcom.oaut import enumerateMethods, TYPEKIND
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    ti = disp.GetTypeInfo()
    attr = ti.GetTypeAttr()['ppTypeAttr']
    check("impacket: ITypeInfo::GetTypeAttr -- IStats' GUID, TKIND_DISPATCH, dual",
          attr['guid'] == string_to_bin(IID_Stats_bare) and
          attr['typeKind'] == TYPEKIND.TKIND_DISPATCH and attr['wTypeFlags'] & 0x40 != 0,
          "%r %r %#x" % (attr['guid'], attr['typeKind'], attr['wTypeFlags']))
    check("impacket: cFuncs %d, cVars 0, cImplTypes 1" % len(STATS_FUNCS),
          attr['cFuncs'] == len(STATS_FUNCS) and attr['cVars'] == 0 and
          attr['cImplTypes'] == 1, "%d %d %d" % (attr['cFuncs'], attr['cVars'],
                                                 attr['cImplTypes']))
    got = []
    for i in range(attr['cFuncs']):
        fd = ti.GetFuncDesc(i)['ppFuncDesc']
        names = ti.GetNames(fd['memid'], 255)
        n = names['pcNames']
        got.append((names['rgBstrNames'][0]['asData'],
                    [names['rgBstrNames'][k]['asData'] for k in range(1, n)]))
        if names['rgBstrNames'][0]['asData'] == "Add":
            check("impacket: Add is [id(2)], FUNC_DISPATCH, INVOKE_FUNC, one VARIANT "
                  "parameter returning VT_I4",
                  fd['memid'] == 2 and fd['funckind'] == 4 and fd['invkind'] == 1 and
                  fd['cParams'] == 1 and fd['elemdescFunc']['tdesc']['vt'] == 3,
                  "memid %d funckind %d invkind %d cParams %d vt %d" % (
                      fd['memid'], fd['funckind'], fd['invkind'], fd['cParams'],
                      fd['elemdescFunc']['tdesc']['vt']))
    check("impacket: GetFuncDesc/GetNames name every function and parameter as stats.idl",
          got == STATS_FUNCS, str(got))
    with contextlib.redirect_stdout(io.StringIO()):
        methods = enumerateMethods(disp)
    own = {name: sorted(params) for name, params in STATS_FUNCS}
    check("impacket: enumerateMethods finds the library's %d distinct methods" % len(own),
          sorted(methods) == sorted(own) and
          all(sorted(k for k in methods[m] if k != 'ret') == own[m] for m in own),
          str(methods))
    doc = ti.GetDocumentation(-1, 1)
    check("impacket: GetDocumentation(MEMBERID_NIL) names IStats",
          doc['pBstrName']['asData'] == "IStats", repr(doc['pBstrName']['asData']))
    try:
        ti.GetNames(2, 0x7fffffff)
        check("impacket: GetNames with cMaxNames 0x7fffffff is refused", False)
    except DCERPCException as e:
        check("impacket: GetNames with cMaxNames 0x7fffffff is refused (%s)" % e, True)
    try:
        ti.GetFuncDesc(999)
        check("impacket: GetFuncDesc(999) fails", False)
    except DCERPCException as e:
        check("impacket: GetFuncDesc(999) is TYPE_E_ELEMENTNOTFOUND",
              hresult(e) == 0x8002802B, str(e))
    attr = ti.GetTypeAttr()['ppTypeAttr']
    check("impacket: the ITypeInfo still answers", attr['cFuncs'] == len(STATS_FUNCS))
    ti.RemRelease()


def start_capture():
    """tshark (if installed) on the namespace's loopback while impacket reads the type."""
    import shutil
    import subprocess
    if not shutil.which("tshark"):
        return None
    path = os.path.join(root, "typeinfo.pcap")
    cap = subprocess.Popen(["tshark", "-i", "lo", "-q", "-w", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 10
    while time.time() < end and not os.path.exists(path):
        time.sleep(0.1)
    time.sleep(0.5)
    return cap, path


def check_capture(cap):
    """Wireshark's dissectors (DCE/RPC sealed with NTLM, decrypted with the password; DCOM
    ITypeInfo) read every packet of those calls: none malformed, GetTypeAttr's TYPEATTR
    read as ours was sent."""
    import subprocess
    if cap is None:
        print("note: tshark is not installed: the capture was skipped")
        return
    proc, path = cap
    time.sleep(0.5)
    proc.terminate()
    proc.wait()
    pw = ["-o", "ntlmssp.nt_password:" + PASSWORD]
    out = subprocess.run(["tshark", "-r", path] + pw, capture_output=True, text=True).stdout
    bad = subprocess.run(["tshark", "-r", path] + pw + ["-Y", "_ws.malformed"],
                         capture_output=True, text=True).stdout
    check("tshark: ITypeInfo's GetTypeAttr, GetFuncDesc, GetNames and GetDocumentation "
          "dissected",
          all(any("ITypeInfo" in line and what in line for line in out.splitlines())
              for what in ("GetTypeAttr response", "GetFuncDesc response",
                           "GetNames response", "GetDocumentation response")),
          out[-2000:])
    check("tshark: no malformed packet", bad.strip() == "", bad)
    attr = subprocess.run(["tshark", "-r", path] + pw + ["-V", "-Y",
                          "typeinfo.opnum == 3 && dcerpc.pkt_type == 2"],
                          capture_output=True, text=True).stdout
    check("tshark: the TYPEATTR reads TKIND_DISPATCH, %d functions, FDUAL" % len(STATS_FUNCS),
          "TKIND_DISPATCH" in attr and "Func Count: %d" % len(STATS_FUNCS) in attr and
          "FDUAL: Set" in attr, attr[-3000:])


try:
    server = os.path.join(build, "examples/stats-server")
    rc, out = tool(server, "-RegServer")
    check("stats-server -RegServer registers the class and stats.tlb", rc == 0, out)
    rc, out = reg("query", "HKCR\\TypeLib\\" + LIBID + "\\1.0\\0\\win64")
    check("RegisterTypeLib: HKCR\\TypeLib\\{libid}\\1.0\\0\\win64 names stats.tlb",
          rc == 0 and "stats.tlb" in out, out)
    rc, out = reg("query", "HKCR\\Interface\\" + IID_IStats + "\\ProxyStubClsid32")
    check("RegisterTypeLib: IStats marshaled by the type library ({00020424-...})",
          rc == 0 and "{00020424-0000-0000-C000-000000000046}" in out.upper(), out)
    me = pwd.getpwuid(os.geteuid()).pw_name
    rc, out = reg("add", "HKCR\\AppID\\" + APPID, "/v", "RunAs", "/d", me, "/f")
    check("RunAs set on its AppID", rc == 0, out)

    launch_log = open(os.path.join(root, "dcomlaunch.log"), "w+")
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w+")
    start([os.path.join(build, "services/dcomlaunch"), "--foreground"], launch_log)
    start([os.path.join(build, "services/rpcss"), "--listen", "127.0.0.1", "--foreground"],
          rpcss_log)
    check("rpcss listens on port 135 (in the test's namespace)", wait_port(135))
    time.sleep(0.3)

    rc, out = tool(os.path.join(build, "examples/stats-client"))
    check("stats-client (C): every late-bound call as stats.idl says", rc == 0, out)
    for line in ("Add(Array(18, 22.75, \"20\")) = 5", "Mean = 20.3",
                 "Values() = 21.5 19.25 18 22.75 20",
                 "Describe(\"Monday's\") = Monday's temperatures: 5 values, mean 20.3"):
        check("stats-client prints %s" % line, line in out, out)
    cxx = os.path.join(build, "examples/stats-client-cxx")
    if os.path.exists(cxx):
        rc, out = tool(cxx)
        check("stats-client-cxx (C++): the same by name", rc == 0 and
              "Describe() = rainfall: 4 values, mean 3" in out, out)
        check("stats-client-cxx: early-bound through IStats (the type-library marshaler)",
              "IStats::Add(10) = 5, IStats::get_Mean = 4.4 (early-bound)" in out and
              "IStats::Describe() = rainfall: 5 values, mean 4.4" in out, out)
    check("the server exits with its last object (CoReleaseServerProcess)", wait_gone(10),
          str(server_pids()))

    try:
        from impacket.dcerpc.v5.dcomrt import DCOMConnection
        from impacket.dcerpc.v5.dcom.oaut import (IID_IDispatch, IDispatch, VARENUM,
                                                   DISPATCH_METHOD, DISPATCH_PROPERTYGET)
        from impacket.dcerpc.v5.rpcrt import DCERPCException
        from impacket.uuid import string_to_bin
    except ImportError:
        print("note: python3-impacket is not installed: its part was skipped")
    else:
        rc, out = tool(os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", USER,
                       stdin=PASSWORD + "\n")
        check("dcompasswd adds the account", rc == 0, out)
        err = grant_app(reg, APPID)
        check("launch and access permissions for authenticated users", err is None, err or "")
        rc, out = reg("add", "HKLM\\Software\\Microsoft\\Ole", "/v",
                      "LegacyAuthenticationLevel", "/t", "REG_DWORD", "/d", "6", "/f")
        check("LegacyAuthenticationLevel 6", rc == 0, out)
        params = harness.dispparams
        dcom = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
        disp = IDispatch(dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch))
        ids = disp.GetIDsOfNames(("add",))
        check("impacket: GetIDsOfNames('add') = [2] (the library's [id(2)], any case)",
              ids == [2], str(ids))
        for arg in (harness.variant(VARENUM.VT_I4, 40), harness.variant(VARENUM.VT_BSTR, "2")):
            resp = disp.Invoke(ids[0], 0x409, DISPATCH_METHOD, params([arg]), 0, [], [])
        res = resp['pVarResult']
        check("impacket: Add(40), Add('2') -> count 2 (VT_I4)",
              res['vt'] == VARENUM.VT_I4 and res['_varUnion']['lVal'] == 2, str(res['vt']))
        mean = disp.GetIDsOfNames(("Mean",))[0]
        resp = disp.Invoke(mean, 0x409, DISPATCH_PROPERTYGET, params([]), 0, [], [])
        res = resp['pVarResult']
        check("impacket: Mean = 21 (VT_R8)",
              res['vt'] == VARENUM.VT_R8 and res['_varUnion']['dblVal'] == 21.0, str(res['vt']))
        desc = disp.GetIDsOfNames(("Describe",))[0]
        resp = disp.Invoke(desc, 0x409, DISPATCH_METHOD, params([]), 0, [], [])
        res = resp['pVarResult']
        text = res['_varUnion']['bstrVal']['asData'] if res['vt'] == VARENUM.VT_BSTR else ""
        check("impacket: Describe() with its [optional] argument left out",
              text == "stats: 2 values, mean 21", text)
        try:
            disp.Invoke(ids[0], 0x409, DISPATCH_METHOD,
                        params([harness.variant(VARENUM.VT_BSTR, "warm")]), 0, [], [])
            check("impacket: Add('warm') fails", False)
        except DCERPCException:
            # impacket 0.10's Invoke response leaves out rgVarRef and so reads the HRESULT
            # as 0 (test-interop-oaut.py checks DISP_E_EXCEPTION itself): that it raises
            check("impacket: Add('warm') fails", True)
        cap = start_capture()
        type_info_by_impacket(disp)
        check_capture(cap)
        disp.RemRelease()
        dcom.disconnect()
        # RemRelease gives back one public reference and takes the OID out of impacket's
        # ping set: the rest go after three missed ping periods ([MS-DCOM] 3.2.6)
        check("the server exits once impacket released its object and stopped pinging",
              wait_gone(30), str(server_pids()))

    rc, out = tool(server, "-UnregServer")
    check("stats-server -UnregServer", rc == 0, out)
    rc, out = reg("query", "HKCR\\TypeLib\\" + LIBID)
    check("UnRegisterTypeLib removed the library's keys", rc != 0, out)
except Exception as e:
    import traceback
    traceback.print_exc()
    check("the Automation example ran to its end", False, repr(e))
finally:
    harness.kill_instance_processes("stats-server -Embedding", root)
    cleanup(root)
finish()
