#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
The wave's goal with least privilege, as seed 002 lays the services out: impacket's
DCOMConnection creates OpenDCOM.Counter over NTLM at PKT_PRIVACY and calls it through
IDispatch while rpcss runs as nobody (not root), the server as its AppID's RunAs user
"daemon", and only dcomlsa (the account store's reader) and dcomlaunch (which starts
servers as other users) run as root.  Neither rpcss nor the server can read the NTLM
account store: both have dcomlsa verify their callers.  Stopping dcomlsa stops new logons
(clients get access denied, nothing else breaks) and starting it brings them back; a
wrong password is refused with dcomlsa's line naming the user.  Last, the AppID names a
LocalService: rpcss (nobody) has dcomlaunch (root) start the unit -- a stand-in for
systemctl that starts units for root only -- and impacket's activation is served by the
unit's main process.

Runs in a network namespace of its own (unshare -n) where unprivileged processes may bind
port 135 (net.ipv4.ip_unprivileged_port_start, a per-namespace setting -- the namespace's
stand-in for the unit's CAP_NET_BIND_SERVICE).  Needs root and python3-impacket; exit 77
otherwise.  Usage: test-interop-leastpriv.py BUILD_DIR
"""
import os
import pwd
import subprocess
import sys
import time

if os.geteuid() != 0:
    print("SKIP: needs root (a network namespace, other users)")
    sys.exit(77)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
harness.reexec_in_netns()
from harness import check, cleanup, finish, grant_app, hresult, wait_port, variant, dispparams

try:
    from impacket.dcerpc.v5.dcomrt import DCOMConnection
    from impacket.dcerpc.v5.dcom.oaut import IID_IDispatch, IDispatch, VARENUM, DISPATCH_METHOD, \
        DISPATCH_PROPERTYGET
    from impacket.uuid import string_to_bin
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

build = sys.argv[1]
USER, PASSWORD = "lpuser", "Least-Priv-1"
CLSID = "5e2d9c41-8b3a-4f6e-a1d7-0c9b8e7f6a51"
APPID = "{5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A50}"
RPCSS_USER, SERVER_USER = "nobody", "daemon"
rpcss_uid = pwd.getpwnam(RPCSS_USER).pw_uid
server_uid = pwd.getpwnam(SERVER_USER).pw_uid

root, env, tool, reg, start = harness.private_instance(build, "opendcom-lp-")
os.chmod(root, 0o755)
# LocalService: a stand-in for systemctl that, like it, starts units for root only;
# dcomlaunch (root) runs it, rpcss (nobody) never could
UNIT = "opendcom-lp-counter"
SERVICE_MANAGER = os.path.join(root, "fake-systemctl")
with open(SERVICE_MANAGER, "w") as f:
    f.write("""#!/bin/sh
d=$(dirname "$0")
case "$1" in
start)
        [ "$(id -u)" = 0 ] || exit 4
        echo "$3" >> "$d/starts"
        sh -c 'echo $$ > "$1"; exec "$2" -Embedding' sh "$d/$3.pid" "%s" \
                </dev/null >/dev/null 2>&1 &;;
show)
        cat "$d/$5.pid" 2>/dev/null || echo 0;;
*)
        exit 2;;
esac
""" % os.path.join(build, "examples/counter-server"))
os.chmod(SERVICE_MANAGER, 0o755)
env["OPENDCOM_SERVICE_MANAGER"] = SERVICE_MANAGER


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])     # the effective uid
    return None


def counter_pids():
    return harness.pids_of("counter-server -Embedding", root)


def read_log(f):
    f.flush()
    f.seek(0)
    return f.read()


def call_add(dcom):
    iface = dcom.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
    disp = IDispatch(iface)
    ids = disp.GetIDsOfNames(("Add",))
    res = disp.Invoke(ids[0], 0x409, DISPATCH_METHOD,
                      dispparams([variant(VARENUM.VT_I4, 40), variant(VARENUM.VT_I4, 2)]),
                      0, [], [])['pVarResult']
    return disp, res['vt'] == VARENUM.VT_I4 and res['_varUnion']['lVal'] == 42


try:
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", "w") as f:
        f.write("0")
    rc, out = tool(os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", USER,
                   stdin=PASSWORD + "\n")
    check("dcompasswd adds the account (root's store)", rc == 0, out)
    rc, out = tool(os.path.join(build, "examples/counter-server"), "-RegServer")
    check("counter-server -RegServer", rc == 0, out)
    rc, out = reg("add", "HKCR\\AppID\\" + APPID, "/v", "RunAs", "/d", SERVER_USER, "/f")
    check("RunAs " + SERVER_USER, rc == 0, out)
    err = grant_app(reg, APPID)
    check("launch and access permissions for authenticated users", err is None, err or "")
    rc, out = reg("add", "HKLM\\Software\\Microsoft\\Ole", "/v", "LegacyAuthenticationLevel",
                  "/t", "REG_DWORD", "/d", "6", "/f")
    check("LegacyAuthenticationLevel 6", rc == 0, out)
    # the runtime directory belongs to rpcss's account (tmpfiles.d does it on a system)
    run = os.path.join(root, "run")
    os.makedirs(run, exist_ok=True)
    os.chown(run, rpcss_uid, -1)
    os.chmod(run, 0o755)
    # the store is unreadable to rpcss's and the server's users
    for u in (rpcss_uid, server_uid):
        r = subprocess.run(["setpriv", "--reuid=%d" % u, "--regid=%d" % u, "--clear-groups",
                            "--", "cat", os.path.join(root, "private", "ntlm-accounts")],
                           capture_output=True)
        check("uid %d cannot read the account store" % u, r.returncode != 0)

    lsa_log = open(os.path.join(root, "dcomlsa.log"), "w+")
    launch_log = open(os.path.join(root, "dcomlaunch.log"), "w+")
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w+")
    lsa = start([os.path.join(build, "services/dcomlsa"), "--foreground"], lsa_log)
    start([os.path.join(build, "services/dcomlaunch"), "--foreground", "--client-user",
           RPCSS_USER], launch_log)
    rpcss = start([os.path.join(build, "services/rpcss"), "--listen", "127.0.0.1", "--foreground"],
                  rpcss_log, RPCSS_USER)
    check("rpcss (as %s) listens on port 135" % RPCSS_USER, wait_port(135), read_log(rpcss_log)[-500:])
    time.sleep(0.3)
    check("rpcss runs as %s" % RPCSS_USER, uid_of(rpcss.pid) == rpcss_uid, str(uid_of(rpcss.pid)))

    dcom = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
    disp, ok = call_add(dcom)
    check("DCOMConnection + CoCreateInstanceEx + Invoke Add(40, 2) = 42", ok)
    pids = counter_pids()
    check("one counter-server, as %s" % SERVER_USER,
          len(pids) == 1 and uid_of(pids[0]) == server_uid,
          "%s %s" % (pids, [uid_of(p) for p in pids]))
    ids = disp.GetIDsOfNames(("WhoAmI",))
    who = disp.Invoke(ids[0], 0x409, DISPATCH_PROPERTYGET, dispparams([]), 0, [], [])
    who = who['pVarResult']['_varUnion']['bstrVal']['asData']
    check("the object reports the server's uid", who.startswith("uid %d " % server_uid), who)
    dcom.disconnect()

    try:
        bad = DCOMConnection("127.0.0.1", USER, "not-it", "", "", "", oxidResolver=True)
        bad.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
        check("a wrong password is refused", False)
    except Exception as e:
        check("a wrong password is refused", "access_denied" in str(e).lower() or
              hresult(e) == 5 or hresult(e) == 0x80070005, str(e)[:200])
    time.sleep(0.2)
    text = read_log(lsa_log)
    check("dcomlsa's line names the user and the cause",
          "'WORKGROUP\\%s'" % USER in text and "wrong password" in text or
          ("\\%s'" % USER in text and "wrong password" in text), text[-400:])

    # without the authority no logon, with it back they work again
    lsa.terminate()
    lsa.wait(10)
    try:
        d2 = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
        d2.CoCreateInstanceEx(string_to_bin(CLSID), IID_IDispatch)
        check("without dcomlsa rpcss refuses the logon", False)
    except Exception as e:
        check("without dcomlsa rpcss refuses the logon", True, str(e)[:120])
    lsa = start([os.path.join(build, "services/dcomlsa"), "--foreground"], lsa_log)
    time.sleep(0.5)
    d3 = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
    _, ok = call_add(d3)
    check("dcomlsa back: activation and calls work again", ok)
    d3.disconnect()

    # LocalService with rpcss as nobody: the AppID names a unit, dcomlaunch starts it
    # at rpcss's request, and the unit's main process serves impacket's activation
    harness.kill_instance_processes("counter-server -Embedding", root)
    time.sleep(0.5)
    rc, out = reg("add", "HKCR\\AppID\\" + APPID, "/v", "LocalService", "/d", UNIT, "/f")
    check("LocalService " + UNIT, rc == 0, out)
    d4 = DCOMConnection("127.0.0.1", USER, PASSWORD, "", "", "", oxidResolver=True)
    _, ok = call_add(d4)
    check("LocalService: CoCreateInstanceEx + Invoke Add(40, 2) = 42 with rpcss as %s" % RPCSS_USER,
          ok, read_log(rpcss_log)[-500:])
    try:
        with open(os.path.join(root, UNIT + ".service.pid")) as f:
            main_pid = int(f.read().strip())
    except (OSError, ValueError):
        main_pid = -1
    with open(os.path.join(root, "starts")) as f:
        starts = f.read().split()
    pids = counter_pids()
    check("the unit was started once, by dcomlaunch (as root)",
          starts == [UNIT + ".service"] and uid_of(main_pid) == 0, "%s %s" % (starts, main_pid))
    check("the one counter-server is the unit's main process", pids == [main_pid],
          "%s %s" % (pids, main_pid))
    text = read_log(launch_log)
    check("dcomlaunch's line names the unit, the AppID and rpcss's uid",
          "started the LocalService %s.service of AppID %s for uid %d" % (UNIT, APPID, rpcss_uid)
          in text, text[-400:])
    d4.disconnect()
    check("rpcss kept running throughout", rpcss.poll() is None)
except Exception as e:
    import traceback
    traceback.print_exc()
    check("the least-privilege flow ran to its end", False, repr(e))
finally:
    harness.kill_instance_processes("counter-server -Embedding", root)
    for name in ("rpcss", "dcomlaunch", "dcomlsa"):
        try:
            with open(os.path.join(root, name + ".log")) as f:
                if harness.failures:
                    print("--- %s.log ---\n%s" % (name, f.read()[-3000:]))
        except OSError:
            pass
    cleanup(root)
finish()
