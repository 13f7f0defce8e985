#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
AppID security against an independent client (issue 15): impacket's DCOMConnection
activates the example class OpenDCOM.Counter on our rpcss (port 135, NTLM) as four
accounts, with the permissions set by dcomcnfg as an administrator would:
  - granted (LaunchPermission and AccessPermission name it): activates and calls;
  - outsider (named nowhere): E_ACCESSDENIED at activation, and rpcss says who, which
    descriptor refused and the dcomcnfg command that would grant it;
  - launcher (launch but no access): the activation works, the first call is refused
    (rpc_s_access_denied) -- by the server process, which keeps serving the others;
  - a level below the AppID's AuthenticationLevel (privacy) is refused at the call;
and the server process is the same one throughout.  Machine-wide: the launch restriction
opened to the accounts with `dcomcnfg machine`, EnableDCOM N refusing everything remote.

Runs in a network namespace of its own (unshare -n) for port 135; needs root and
python3-impacket (exit 77 otherwise).  Usage: test-interop-appsec.py BUILD_DIR
"""
import os
import pwd
import subprocess
import sys
import time

if os.geteuid() != 0:
    print("SKIP: needs root (a network namespace, the NTLM account store)")
    sys.exit(77)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
harness.reexec_in_netns()
from harness import check, cleanup, finish, hresult, procs, wait_port

try:
    from impacket.dcerpc.v5 import rpcrt
    from impacket.dcerpc.v5.dcomrt import DCOMConnection
    from impacket.dcerpc.v5.dcom.oaut import IID_IDispatch, IDispatch
    from impacket.uuid import string_to_bin
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

build = sys.argv[1]
CLSID = "5e2d9c41-8b3a-4f6e-a1d7-0c9b8e7f6a51"
APPID = "{5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A50}"
PASSWORD = "Appsec-Pass-1"
E_ACCESSDENIED = 0x80070005

root, env, tool, reg, start = harness.private_instance(build, "opendcom-appsec-")


def dcomcnfg(*args):
    return tool(os.path.join(build, "tools/dcomcnfg/dcomcnfg"), *args)


def counter_pids():
    return harness.pids_of("counter-server -Embedding", root)


def activate(user, level=None):
    """DCOMConnection as user; the object's IDispatch (its level forced if given)."""
    dcom = DCOMConnection("127.0.0.1", user, PASSWORD, "", "", "", oxidResolver=True)
    conns.append(dcom)
    iface = dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
    if level:
        iface.get_cinstance().set_auth_level(level)
    return IDispatch(iface)


def as_user(fn):
    """fn() on a thread of its own: impacket keeps one connection per OXID per thread name,
    so each user's calls travel on their own authenticated connection."""
    import threading
    out = {}

    def run():
        try:
            out["r"] = fn()
        except Exception as e:
            out["e"] = e
    t = threading.Thread(target=run, name="user-%d" % len(conns))
    t.start()
    t.join(60)
    if "e" in out:
        raise out["e"]
    return out.get("r")


def calls(disp):
    """GetIDsOfNames('Add') on the object: None if it worked, else the error's code."""
    try:
        ids = disp.GetIDsOfNames(("Add",))
        return None if ids == [1] else "ids %r" % ids
    except Exception as e:
        if "rpc_s_access_denied" in str(e):       # a fault with status 5, as impacket words it
            return 5
        return hresult(e) if hresult(e) is not None else "%s %r %r" % (type(e).__name__, e.args, getattr(e, "error_code", "-"))


conns = []
try:
    for user in ("granted", "outsider", "launcher"):
        rc, out = tool(os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", user,
                       stdin=PASSWORD + "\n")
        check("dcompasswd adds %s" % user, rc == 0, out)
    rc, out = tool(os.path.join(build, "examples/counter-server"), "-RegServer")
    check("counter-server -RegServer", rc == 0, out)
    me = pwd.getpwuid(os.geteuid()).pw_name
    rc, out = dcomcnfg("set", APPID, "--run-as", me)
    check("dcomcnfg set --run-as", rc == 0, out)
    # what Windows' defaults say before anything is granted
    rc, out = dcomcnfg("show", APPID)
    check("dcomcnfg show: the default launch permission applies", rc == 0 and
          "DefaultLaunchPermission" in out, out[-600:])
    # the machine's launch restriction gives Everyone local launch only: open it to the
    # three accounts' remote use, as an administrator does for remote DCOM users
    for user in ("granted", "outsider", "launcher"):
        rc, out = dcomcnfg("machine", "--grant-launch-restriction", user)
        check("dcomcnfg machine --grant-launch-restriction %s" % user, rc == 0, out)
    rc, out = dcomcnfg("set", APPID, "--grant-launch", "granted", "--grant-access", "granted",
                       "--grant-launch", "launcher:remote-launch,remote-activation")
    check("dcomcnfg set --grant-launch/--grant-access", rc == 0, out)

    launch_log = open(os.path.join(root, "dcomlaunch.log"), "w+")
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w+")
    for args, log in (([os.path.join(build, "services/dcomlaunch"), "--foreground"], launch_log),
                      ([os.path.join(build, "services/rpcss"), "--listen", "127.0.0.1",
                        "--foreground"], rpcss_log)):
        procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))
    check("rpcss listens on port 135 (in the test's namespace)", wait_port(135))
    time.sleep(0.3)

    # granted: activates, calls
    disp = activate("granted")
    check("a user granted launch and access activates and calls", calls(disp) is None)
    pids = counter_pids()
    check("one server process", len(pids) == 1, str(pids))

    # outsider: refused at activation, with a line an administrator can act on
    try:
        activate("outsider")
        check("a user not granted launch is refused", False)
    except Exception as e:
        check("a user not granted launch gets E_ACCESSDENIED at activation",
              hresult(e) == E_ACCESSDENIED, str(e))
    rpcss_log.flush()
    rpcss_log.seek(0)
    text = rpcss_log.read()
    line = next((l for l in text.splitlines() if "outsider" in l and "refused" in l), "")
    check("rpcss's line names the user, the right, the descriptor and the grant",
          "remote-activation refused to " in line and "LaunchPermission" in line and
          ("dcomcnfg set %s --grant-launch '" % APPID) in line, text[-800:])

    # launcher: launch but no access -- the first call is refused by the server
    r = as_user(lambda: calls(activate("launcher")))
    check("a user with launch but not access fails at the first call (rpc_s_access_denied)",
          r == 5 or r == E_ACCESSDENIED, str(r))
    check("the server still serves the granted user", calls(disp) is None)
    check("the same server process throughout", counter_pids() == pids, str(counter_pids()))

    # AuthenticationLevel privacy: a call at integrity is refused, at privacy served
    rc, out = dcomcnfg("set", APPID, "--authn-level", "privacy")
    check("dcomcnfg set --authn-level privacy", rc == 0, out)
    for p in counter_pids():            # the level is the process's: a new one reads it
        os.kill(p, 9)
    time.sleep(0.3)
    r = as_user(lambda: calls(activate("granted", rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)))
    check("a call below the AppID's AuthenticationLevel is refused", r == 5 or r == E_ACCESSDENIED,
          str(r))
    r = as_user(lambda: calls(activate("granted")))
    check("at the level the authnHint asks (privacy) it is served", r is None, str(r))

    # EnableDCOM N: nothing remote
    rc, out = dcomcnfg("machine", "--enable-dcom", "N")
    check("dcomcnfg machine --enable-dcom N", rc == 0, out)
    try:
        activate("granted")
        check("EnableDCOM N refuses remote activation", False)
    except Exception as e:
        check("EnableDCOM N refuses remote activation (E_ACCESSDENIED)",
              hresult(e) == E_ACCESSDENIED, str(e))
except Exception as e:
    import traceback
    traceback.print_exc()
    check("the permission flow ran to its end", False, repr(e))
finally:
    for c in conns:
        try:
            c.disconnect()
        except Exception:
            pass
    for p in counter_pids():
        try:
            os.kill(p, 9)
        except OSError:
            pass
    cleanup(root)
finish()
