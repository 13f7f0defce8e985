#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
ORPC between two hosts: two network namespaces joined by a veth pair (10.77.0.1, the
server's, and 10.77.0.2, the client's).  In the server's: rpcss on port 135 and
orpc-serve exporting an object; in the client's, with a state directory of its own (no
rpcss, no shared ncalrpc): orpc-client unmarshals the OBJREF, resolves the OXID at the
other host's rpcss over TCP and calls the object with NTLM at PKT_PRIVACY; then the
references it took are back.
Needs root and `ip netns` (exit 77 otherwise).
Usage: test-orpc-netns.py BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

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
finally:
    cleanup(srv_root)
    shutil.rmtree(cli_root, ignore_errors=True)
    teardown()
finish()
