#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
ORPC between two hosts: two network namespaces joined by a veth pair (10.77.0.1, the
server's, and 10.77.0.2, the client's).  In the server's: rpcss on port 135 and
orpc-serve exporting an object; in the client's, with a state directory of its own (no
rpcss, no shared ncalrpc): orpc-client unmarshals the OBJREF, resolves the OXID at the
other host's rpcss over TCP and calls the object with NTLM at PKT_PRIVACY; then the
references it took are back.  Then activation across the hosts: dcomlaunch and the example
class (counter-server) on the server's host; counter-client on the other creates it with
CLSCTX_REMOTE_SERVER (COSERVERINFO 10.77.0.1, NTLM credentials), rpcss there starts the
server, the calls go through IDispatch; and with no host named, through the class's
AppID RemoteServerName in the client's registry.
Needs root and `ip netns` (exit 77 otherwise).
Usage: test-orpc-netns.py BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import check, cleanup, finish, procs

build = sys.argv[1]
if os.geteuid() != 0 or not shutil.which("ip"):
    print("SKIP: needs root and iproute2")
    sys.exit(77)

tag = "od%d" % os.getpid()
SRV, CLI = tag + "s", tag + "c"
USER, PASSWORD = "netnsuser", "Netns-Secret-1"


def ip(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20)


def setup():
    for ns in (SRV, CLI):
        if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode:
            return False
        ip("link", "set", "lo", "up", ns=ns)
    ip("link", "add", tag + "a", "type", "veth", "peer", "name", tag + "b")
    ip("link", "set", tag + "a", "netns", SRV)
    ip("link", "set", tag + "b", "netns", CLI)
    ip("addr", "add", "10.77.0.1/24", "dev", tag + "a", ns=SRV)
    ip("addr", "add", "10.77.0.2/24", "dev", tag + "b", ns=CLI)
    ip("link", "set", tag + "a", "up", ns=SRV)
    ip("link", "set", tag + "b", "up", ns=CLI)
    return True


def teardown():
    for ns in (SRV, CLI):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


srv_root = tempfile.mkdtemp(prefix="opendcom-netns-srv-")
cli_root = tempfile.mkdtemp(prefix="opendcom-netns-cli-")
srv_env = dict(os.environ, OPENDCOM_ROOT=srv_root, OPENDCOM_ORPC_LISTEN="10.77.0.1")
srv_env.pop("OPENDCOM_EPM_PORT", None)
cli_env = dict(os.environ, OPENDCOM_ROOT=cli_root, ORPC_USER=USER, ORPC_PASSWORD=PASSWORD)
cli_env.pop("OPENDCOM_EPM_PORT", None)
try:
    if not setup():
        print("SKIP: cannot make network namespaces here")
        teardown()
        sys.exit(77)
    r = subprocess.run([os.path.join(build, "tools/dcompasswd/dcompasswd"), "-a", "-s", USER],
                       input=PASSWORD + "\n", env=srv_env, capture_output=True, text=True,
                       timeout=30)
    check("dcompasswd adds the account on the server host", r.returncode == 0, r.stderr)

    def srv_reg(*args):
        r = subprocess.run([os.path.join(build, "tools/reg/reg")] + list(args), env=srv_env,
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr
    # issue 15: the server host's applications grant authenticated users (Windows' defaults
    # give a remote non-administrator neither launch nor access)
    err = harness.grant_app(srv_reg, "{0A5C3E21-6B7D-4E8F-9A0B-1C2D3E4F5A6B}", exe="orpc-serve",
                            launch=None)
    check("access permission for authenticated users (orpc-serve's AppID)", err is None, err or "")
    log = open(os.path.join(srv_root, "rpcss.log"), "w")
    rpcss = subprocess.Popen(["ip", "netns", "exec", SRV, os.path.join(build, "services/rpcss"),
                              "--listen", "10.77.0.1", "--foreground"], env=srv_env,
                             stderr=log)
    procs.append(rpcss)
    ok = False
    for _ in range(100):
        if subprocess.run(["ip", "netns", "exec", SRV, "bash", "-c",
                           "exec 3<>/dev/tcp/10.77.0.1/135"], capture_output=True).returncode == 0:
            ok = True
            break
        subprocess.run(["sleep", "0.05"])
    check("rpcss listens on the server host's port 135", ok)
    server = subprocess.Popen(["ip", "netns", "exec", SRV, os.path.join(build, "tests/orpc-serve"),
                               "1"], env=srv_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    procs.append(server)
    objref = server.stdout.readline().strip()
    check("orpc-serve marshals its object", len(objref) > 128)
    r = subprocess.run(["ip", "netns", "exec", CLI, os.path.join(build, "tests/orpc-client"),
                        objref], env=cli_env, capture_output=True, text=True, timeout=60)
    for line in r.stdout.splitlines():
        print("  client: " + line)
    check("the client on the other host calls the object (NTLM, PKT_PRIVACY)", r.returncode == 0,
          r.stderr[-500:])
    server.stdin.write("refs\n")
    server.stdin.flush()
    refs = int(server.stdout.readline().split()[0])
    check("the client's references are back (RemRelease)", refs == 1, str(refs))
    server.stdin.write("quit\n")
    server.stdin.flush()
    check("orpc-serve exits cleanly", server.wait(10) == 0)

    # --- activation on the other host -------------------------------------------------
    APPID = "{5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A50}"
    CLSID = "{5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A51}"
    reg = os.path.join(build, "tools/reg/reg")
    r = subprocess.run([os.path.join(build, "examples/counter-server"), "-RegServer"],
                       env=srv_env, capture_output=True, text=True, timeout=30)
    check("counter-server registered on the server's host", r.returncode == 0, r.stderr)
    subprocess.run([reg, "add", "HKCR\\AppID\\" + APPID, "/v", "RunAs", "/d", "root", "/f"],
                   env=srv_env, capture_output=True, timeout=30)
    err = harness.grant_app(srv_reg, APPID)
    check("counter-server's launch and access permissions for authenticated users", err is None,
          err or "")
    launch_log = open(os.path.join(srv_root, "dcomlaunch.log"), "w")
    launcher = subprocess.Popen(["ip", "netns", "exec", SRV,
                                 os.path.join(build, "services/dcomlaunch"), "--foreground"],
                                env=srv_env, stderr=launch_log)
    procs.append(launcher)
    subprocess.run(["sleep", "0.3"])
    client = os.path.join(build, "examples/counter-client")
    r = subprocess.run(["ip", "netns", "exec", CLI, client, "10.77.0.1", USER, PASSWORD],
                       env=cli_env, capture_output=True, text=True, timeout=60)
    for line in r.stdout.splitlines():
        print("  counter-client: " + line)
    check("CoCreateInstanceEx(CLSCTX_REMOTE_SERVER) on the other host, calls through IDispatch",
          r.returncode == 0 and "Add(40, 2) = 42" in r.stdout and "WhoAmI = uid 0 " in r.stdout,
          r.stderr[-500:])
    # AppID RemoteServerName: the client names no host; its registry sends the class there
    subprocess.run([reg, "add", "HKCR\\CLSID\\" + CLSID, "/v", "AppID", "/d", APPID, "/f"],
                   env=cli_env, capture_output=True, timeout=30)
    subprocess.run([reg, "add", "HKCR\\AppID\\" + APPID, "/v", "RemoteServerName", "/d",
                    "10.77.0.1", "/f"], env=cli_env, capture_output=True, timeout=30)
    r = subprocess.run(["ip", "netns", "exec", CLI, client, "-", USER, PASSWORD],
                       env=cli_env, capture_output=True, text=True, timeout=60)
    check("AppID RemoteServerName sends the activation to the other host",
          r.returncode == 0 and "Add(40, 2) = 42" in r.stdout, r.stdout[-300:] + r.stderr[-500:])
    # a wrong password there: refused, and said so
    r = subprocess.run(["ip", "netns", "exec", CLI, client, "10.77.0.1", USER, "wrong"],
                       env=cli_env, capture_output=True, text=True, timeout=60)
    check("a wrong password is refused by the other host", r.returncode != 0, r.stderr[-300:])
    # rpcss of the other host unreachable: RPC_S_SERVER_UNAVAILABLE
    r = subprocess.run(["ip", "netns", "exec", CLI, client, "10.77.0.9", USER, PASSWORD],
                       env=cli_env, capture_output=True, text=True, timeout=60)
    check("a host with no rpcss: 0x800706ba", r.returncode != 0 and "0x800706ba" in r.stderr,
          r.stderr[-300:])
finally:
    # the servers dcomlaunch started for this test (by their OPENDCOM_ROOT), by PID
    out = subprocess.run(["pgrep", "-f", "counter-server -Embedding"], capture_output=True,
                         text=True).stdout.split()
    for pid in out:
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if b"OPENDCOM_ROOT=" + srv_root.encode() + b"\0" in f.read():
                    os.kill(int(pid), 9)
        except OSError:
            pass
    cleanup(srv_root)
    shutil.rmtree(cli_root, ignore_errors=True)
    teardown()
finish()
