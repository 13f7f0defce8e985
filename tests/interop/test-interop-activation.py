#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
DCOM activation end to end against an independent client: impacket 0.10's DCOMConnection
(unmodified: port 135, NTLM at PKT_PRIVACY, its default) creates the example class
OpenDCOM.Counter on our rpcss with IRemoteSCMActivator::RemoteCreateInstance.  The class
is registered as Windows local servers register (counter-server -RegServer: CLSID,
LocalServer32, AppID with RunAs) and nothing runs it: rpcss asks dcomlaunch, which starts
it with -Embedding; the server registers its class object, rpcss has it make the object
and answers with it.  impacket then calls it through IDispatch (GetIDsOfNames, Invoke
with VT_I4 and VT_BSTR arguments) on the OXID's binding at the level the reply's
authnHint asks, asks for another interface (RemQueryInterface), and the second
activation of the same class goes to the running server (one process).  Also the
old IActivation::RemoteActivation, errors a user can act on (REGDB_E_CLASSNOTREG for an
unknown class, CO_E_SERVER_EXEC_FAILURE for a server that exits without registering,
E_ACCESSDENIED below PKT_INTEGRITY, RPC_S_SERVER_UNAVAILABLE with dcomlaunch down) and
that rpcss keeps serving after each.

Runs in a network namespace of its own (unshare -n) so that rpcss can have port 135,
which DCOMConnection insists on, without touching the machine's.  Needs root (the
namespace, the NTLM account store) and python3-impacket; exit 77 otherwise.
Usage: test-interop-activation.py BUILD_DIR
"""
import os
import pwd
import shutil
import subprocess
import sys
import time

if os.geteuid() != 0:
    print("SKIP: needs root (a network namespace, the NTLM account store)")
    sys.exit(77)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
harness.reexec_in_netns()
from harness import check, cleanup, finish, grant_app, hresult, procs, wait_port

try:
    from impacket.dcerpc.v5 import transport, rpcrt
    from impacket.dcerpc.v5.dcomrt import DCOMConnection, IActivation
    from impacket.dcerpc.v5.dcom.oaut import (IID_IDispatch, IDispatch,
                                               VARENUM, DISPATCH_METHOD, DISPATCH_PROPERTYGET)
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    from impacket.uuid import string_to_bin
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

build = sys.argv[1]
USER, PASSWORD = "dcomuser", "Activate-Me-1"
CLSID = "5e2d9c41-8b3a-4f6e-a1d7-0c9b8e7f6a51"
APPID = "{5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A50}"
IID_IUnknown = string_to_bin("00000000-0000-0000-C000-000000000046")
REGDB_E_CLASSNOTREG = 0x80040154
CO_E_SERVER_EXEC_FAILURE = 0x80080005
E_ACCESSDENIED = 0x80070005

root, env, tool, reg, start = harness.private_instance(build, "opendcom-act-")


def counter_pids():
    return harness.pids_of("counter-server -Embedding", root)


def bstr_arg(s):
    return harness.variant(VARENUM.VT_BSTR, s)


def i4_arg(n):
    return harness.variant(VARENUM.VT_I4, n)


params = harness.dispparams


try:
    rc, out = tool(os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", USER,
                   stdin=PASSWORD + "\n")
    check("dcompasswd adds the account", rc == 0, out)
    server = os.path.join(build, "examples/counter-server")
    rc, out = tool(server, "-RegServer")
    check("counter-server -RegServer registers the class", rc == 0, out)
    me = pwd.getpwuid(os.geteuid()).pw_name
    rc, out = reg("add", "HKCR\\AppID\\" + APPID, "/v", "RunAs", "/d", me, "/f")
    check("RunAs set on its AppID", rc == 0, out)
    # issue 15: Windows' defaults give a remote non-administrator neither launch nor access
    err = grant_app(reg, APPID)
    check("launch and access permissions for authenticated users", err is None, err or "")
    # the object connection at PKT_PRIVACY: the exporter's authnHint
    rc, out = reg("add", "HKLM\\Software\\Microsoft\\Ole", "/v", "LegacyAuthenticationLevel",
                  "/t", "REG_DWORD", "/d", "6", "/f")
    check("LegacyAuthenticationLevel 6", rc == 0, out)

    pcap = os.path.join(root, "activation.pcap")
    capture = None
    if shutil.which("dumpcap"):
        capture = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", "tcp", "-w", pcap],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(capture)
        time.sleep(1.0)
    launch_log = open(os.path.join(root, "dcomlaunch.log"), "w+")
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w+")
    launcher = start([os.path.join(build, "services/dcomlaunch"), "--foreground"], launch_log)
    start([os.path.join(build, "services/rpcss"), "--listen", "127.0.0.1", "--foreground"],
          rpcss_log)
    check("rpcss listens on port 135 (in the test's namespace)", wait_port(135))
    time.sleep(0.3)

    # --- the wave's goal: DCOMConnection, CoCreateInstanceEx, IDispatch ----------------
    dcom = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
    t0 = time.time()
    iface = dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
    check("CoCreateInstanceEx (RemoteCreateInstance) launches the server and answers",
          iface is not None, "%.2f s" % (time.time() - t0))
    pids = counter_pids()
    check("dcomlaunch started one counter-server -Embedding", len(pids) == 1, str(pids))
    disp = IDispatch(iface)
    ids = disp.GetIDsOfNames(("Add",))
    check("GetIDsOfNames('Add')", ids == [1], str(ids))
    resp = disp.Invoke(ids[0], 0x409, DISPATCH_METHOD, params([i4_arg(40), i4_arg(2)]), 0, [], [])
    res = resp['pVarResult']
    check("Invoke Add(40, 2) = 42 (VT_I4)",
          res['vt'] == VARENUM.VT_I4 and res['_varUnion']['lVal'] == 42, str(res['vt']))
    ids = disp.GetIDsOfNames(("echo",))
    resp = disp.Invoke(ids[0], 0x409, DISPATCH_METHOD, params([bstr_arg("hello")]), 0, [], [])
    res = resp['pVarResult']
    check("Invoke Echo('hello') (VT_BSTR, name case-insensitive)",
          res['vt'] == VARENUM.VT_BSTR and res['_varUnion']['bstrVal']['asData'] == "echo: hello",
          str(res['_varUnion']['bstrVal']['asData']) if res['vt'] == VARENUM.VT_BSTR else "")
    ids = disp.GetIDsOfNames(("WhoAmI",))
    resp = disp.Invoke(ids[0], 0x409, DISPATCH_PROPERTYGET, params([]), 0, [], [])
    who = resp['pVarResult']['_varUnion']['bstrVal']['asData']
    check("the server runs as the AppID's RunAs user", who.startswith("uid %d " % os.geteuid()),
          who)
    try:
        disp.GetIDsOfNames(("NoSuchMember",))
        check("an unknown name fails", False)
    except DCERPCException as e:
        check("an unknown name gets DISP_E_UNKNOWNNAME", hresult(e) == 0x80020006, str(e))
    unk = iface.RemQueryInterface(1, (IID_IUnknown,))
    check("RemQueryInterface for IUnknown on the object", unk is not None)

    # a second activation goes to the running server (REGCLS_MULTIPLEUSE)
    t0 = time.time()
    iface2 = dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
    ms = (time.time() - t0) * 1000
    check("a second activation is served by the same process",
          iface2 is not None and counter_pids() == pids, "%.1f ms" % ms)
    disp2 = IDispatch(iface2)
    ids = disp2.GetIDsOfNames(("Calls",))
    resp = disp2.Invoke(ids[0], 0x409, DISPATCH_PROPERTYGET, params([]), 0, [], [])
    check("the second object is a new one (its own call count)",
          resp['pVarResult']['_varUnion']['lVal'] == 1, str(resp['pVarResult']['_varUnion']['lVal']))

    # the old activation interface (j-Interop's family)
    act = IActivation(dcom.get_dce_rpc())
    try:
        iface3 = act.RemoteActivation(string_to_bin(CLSID), IID_IDispatch)
        ids = IDispatch(iface3).GetIDsOfNames(("Add",))
        check("IActivation::RemoteActivation, then a call", ids == [1], str(ids))
    except Exception as e:
        check("IActivation::RemoteActivation, then a call", False, str(e))

    # --- errors a user can act on --------------------------------------------------------
    try:
        dcom.CoCreateInstanceEx(string_to_bin("11111111-2222-3333-4444-555555555555"),
                                IID_IDispatch)
        check("an unknown class fails", False)
    except Exception as e:
        check("an unknown class gets REGDB_E_CLASSNOTREG", hresult(e) == REGDB_E_CLASSNOTREG,
              str(e))
    bad = "66666666-7777-8888-9999-aaaaaaaaaaaa"
    rc, out = reg("add", "HKCR\\CLSID\\{%s}\\LocalServer32" % bad, "/ve", "/d", "/bin/false", "/f")
    rc, out = reg("add", "HKCR\\CLSID\\{%s}" % bad, "/v", "AppID", "/d", APPID, "/f")
    try:
        dcom.CoCreateInstanceEx(string_to_bin(bad), IID_IDispatch)
        check("a server that exits at once fails", False)
    except Exception as e:
        check("a server that exits without registering: CO_E_SERVER_EXEC_FAILURE",
              hresult(e) == CO_E_SERVER_EXEC_FAILURE, str(e))
    rpcss_log.flush()
    rpcss_log.seek(0)
    text = rpcss_log.read()
    check("rpcss says why in one log line", "exited with status 1 before registering" in text,
          text[-300:])

    # below PKT_INTEGRITY: refused (RequireIntegrityActivationAuthenticationLevel)
    low = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=False)
    try:
        low.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_CONNECT)
    except Exception:
        pass
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:127.0.0.1[135]")
    t.set_credentials(USER, PASSWORD, "", "", "")
    d = t.get_dce_rpc()
    d.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
    d.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_CONNECT)
    d.connect()
    from impacket.dcerpc.v5.dcomrt import IRemoteSCMActivator
    try:
        IRemoteSCMActivator(d).RemoteCreateInstance(string_to_bin(CLSID), IID_IDispatch)
        check("activation at the connect level is refused", False)
    except Exception as e:
        check("activation at the connect level gets E_ACCESSDENIED",
              hresult(e) == E_ACCESSDENIED, str(e))
    d.disconnect()

    # smbtorture rpc.remact: RemoteActivation of Windows' Imaging document class, sealed
    # with our account -- unknown here, and answered so
    torture = shutil.which("smbtorture")
    if torture:
        r = subprocess.run([torture, "ncacn_ip_tcp:127.0.0.1[seal]", "rpc.remact",
                            "-U%s%%%s" % (USER, PASSWORD)], env=env, capture_output=True,
                           text=True, timeout=120)
        out = r.stdout + r.stderr
        check("smbtorture rpc.remact: RemoteActivation answered (REGDB_E_CLASSNOTREG for "
              "Windows' class)", "REGDB_E_CLASSNOTREG" in out or "0x80040154" in out,
              out[-800:])
    else:
        print("note: smbtorture is not installed (samba-testsuite): skipped")

    # dcomlaunch down: the class's server cannot be started, promptly
    for p in counter_pids():
        os.kill(p, 9)
    launcher.terminate()
    launcher.wait(10)
    time.sleep(0.3)
    t0 = time.time()
    try:
        dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
        check("without dcomlaunch activation fails", False)
    except Exception as e:
        check("without dcomlaunch: RPC_S_SERVER_UNAVAILABLE (0x800706BA), promptly",
              hresult(e) == 0x800706BA and time.time() - t0 < 3,
              "%s in %.2f s" % (e, time.time() - t0))
    dcom.disconnect()

    if capture:
        time.sleep(0.5)
        capture.terminate()
        capture.wait(10)
        args = ["tshark", "-n", "-r", pcap, "-o", "ntlmssp.nt_password:" + PASSWORD]
        r = subprocess.run(args + ["-Y", "_ws.malformed || _ws.expert.severity >= error"],
                           capture_output=True, text=True, timeout=120)
        out = "\n".join(l for l in (r.stdout + r.stderr).splitlines()
                        if "Running as user" not in l and "This could be dangerous" not in l)
        check("tshark: no malformed packet, no expert error", r.returncode == 0 and
              out.strip() == "", out[-1500:])
        r = subprocess.run(args + ["-Y", "isystemactivator || remact", "-T", "fields", "-e",
                                   "frame.number"], capture_output=True, text=True, timeout=120)
        check("tshark: dissected the activation traffic (isystemactivator, remact)",
              r.returncode == 0 and len(r.stdout.split()) >= 4, r.stdout[-200:] + r.stderr[-300:])
    else:
        print("note: no dumpcap: the tshark check was skipped")
except Exception as e:
    import traceback
    traceback.print_exc()
    check("the activation flow ran to its end", False, repr(e))
finally:
    for p in counter_pids():
        try:
            os.kill(p, 9)
        except OSError:
            pass
    cleanup(root)
finish()
