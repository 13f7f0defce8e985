# SPDX-License-Identifier: LGPL-2.1-or-later
"""
What every interop test (tests/interop/test-interop-*.py) needs: checks counted and
printed TAP-like, a free loopback port, waiting for a listener, and the processes a test
starts, stopped by PID at the end with its private state directory removed.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

failures = 0
checks = 0
procs = []


def check(name, cond, detail=""):
    """Counts a check; prints 'ok - name' (with a short detail) or 'FAIL - name detail'."""
    global failures, checks
    checks += 1
    if cond:
        print("ok - %s%s" % (name, " (%s)" % detail if detail and len(detail) < 200 else ""))
    else:
        failures += 1
        print("FAIL - %s %s" % (name, detail))


def finish():
    """Prints the count and exits 1 if any check failed."""
    print("%d checks, %d failed" % (checks, failures))
    sys.exit(1 if failures else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_135_free():
    """Whether this test may bind 127.0.0.1:135, where the endpoint mapper's clients that
    know no other port (rpcdump.py, smbtorture's mapping, Samba's raw_protocol) look:
    root, and nobody listening there."""
    if os.geteuid() != 0:
        return False
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 135))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def cleanup(root):
    """SIGTERM to every process in procs (SIGKILL after 5 s), then root removed."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(root, ignore_errors=True)


def sd_hex(sddl):
    """A self-relative security descriptor from SDDL, packed by Samba's implementation
    (independent of ours), as the hex string `reg add /t REG_BINARY /d` takes."""
    from samba.dcerpc import security
    from samba.ndr import ndr_pack
    return ndr_pack(security.descriptor.from_sddl(sddl, security.dom_sid("S-1-5-21-0-0-0"))).hex()


# Every authenticated user: local and remote launch and activation; local and remote access.
LAUNCH_AU = "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;SY)(A;;CCDCLCSWRP;;;AU)"
ACCESS_AU = "O:BAG:BAD:(A;;CCDCLC;;;BA)(A;;CCDCLC;;;SY)(A;;CCDCLC;;;AU)"


def grant_app(reg, appid, exe=None, launch=LAUNCH_AU, access=ACCESS_AU):
    """Gives an application (HKCR\\AppID\\{appid}) launch and access permissions, with the
    machine's launch restriction opened to remote users of them, and maps the executable
    name exe to it (seed 003) when given.  reg(*args) runs the reg tool -> (rc, out);
    returns the first failure's output, or None."""
    steps = []
    if exe:
        steps.append(("add", "HKCR\\AppID\\" + exe, "/v", "AppID", "/d", appid, "/f"))
    if launch:
        steps.append(("add", "HKCR\\AppID\\" + appid, "/v", "LaunchPermission", "/t", "REG_BINARY",
                      "/d", sd_hex(launch), "/f"))
        # Windows' MachineLaunchRestriction gives Everyone local launch only
        steps.append(("add", "HKLM\\Software\\Microsoft\\Ole", "/v", "MachineLaunchRestriction",
                      "/t", "REG_BINARY", "/d",
                      sd_hex("O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;WD)(A;;CCDCLCSWRP;;;AU)"),
                      "/f"))
    if access:
        steps.append(("add", "HKCR\\AppID\\" + appid, "/v", "AccessPermission", "/t", "REG_BINARY",
                      "/d", sd_hex(access), "/f"))
    for s in steps:
        rc, out = reg(*s)
        if rc != 0:
            return "reg %s: %s" % (" ".join(s[:2]), out)
    return None


def hresult(e):
    """The status an impacket exception carries (error_code, or 'code: 0x...' in its text),
    as an unsigned 32-bit number; None if it names none."""
    code = getattr(e, "error_code", None)
    if code is None:
        try:
            code = int(str(e).split("code: ")[1].split()[0], 16)
        except Exception:
            code = None
    return code & 0xffffffff if code is not None else None


def pids_of(pattern, root):
    """The processes whose command line matches pattern (pgrep -f) and that run in the
    private instance root (their OPENDCOM_ROOT)."""
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    mine = []
    for p in out:
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                if b"OPENDCOM_ROOT=" + root.encode() + b"\0" in f.read():
                    mine.append(int(p))
        except OSError:
            pass
    return mine


def reexec_in_netns():
    """Runs this test again in a network namespace of its own (unshare -n), where port 135
    and firewall rules are the test's, and exits with its status; in the namespace, brings
    lo up and returns.  Needs root; exits 77 (skipped) without unshare."""
    import os
    if os.environ.get("OPENDCOM_TEST_NETNS"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
        return
    if not shutil.which("unshare"):
        print("SKIP: no unshare")
        sys.exit(77)
    r = subprocess.run(["unshare", "-n", "--", sys.executable] + sys.argv,
                       env=dict(os.environ, OPENDCOM_TEST_NETNS="1"))
    sys.exit(r.returncode)


def variant(vt, value):
    """An impacket wireVARIANT of VT_I4 or VT_BSTR, for IDispatch::Invoke."""
    from impacket.dcerpc.v5.dcom.oaut import VARIANT, VARENUM
    v = VARIANT(None, False)
    v['clSize'] = 5
    v['vt'] = vt
    v['_varUnion']['tag'] = vt
    if vt == VARENUM.VT_BSTR:
        v['_varUnion']['bstrVal']['asData'] = value
    else:
        v['_varUnion']['lVal'] = value
    return v


def dispparams(args):
    """impacket DISPPARAMS holding args (the arguments last first, as DISPPARAMS does)."""
    from impacket.dcerpc.v5.dcom.oaut import DISPPARAMS
    from impacket.dcerpc.v5.dtypes import NULL
    p = DISPPARAMS(None, False)
    p['rgdispidNamedArgs'] = NULL
    p['cNamedArgs'] = 0
    p['cArgs'] = len(args)
    if not args:
        p['rgvarg'] = NULL
    for a in reversed(args):
        p['rgvarg'].append(a)
    return p


def private_instance(build, prefix):
    """A private OpenDCOM instance for a test: a fresh OPENDCOM_ROOT and its environment
    (exporters on loopback, a 5 s launch timeout), and three helpers bound to it:
    tool(*args, stdin=None) -> (rc, output), reg(*args) (the reg tool), and
    start(args, log, user=None) -> Popen (as a Unix user if given; stopped by cleanup()).
    Returns (root, env, tool, reg, start)."""
    import os
    import pwd
    import tempfile
    root = tempfile.mkdtemp(prefix=prefix)
    env = dict(os.environ, OPENDCOM_ROOT=root, OPENDCOM_ORPC_LISTEN="127.0.0.1",
               OPENDCOM_LAUNCH_TIMEOUT_MS="5000")
    env.pop("OPENDCOM_EPM_PORT", None)

    def tool(*args, stdin=None):
        r = subprocess.run(list(args), input=stdin, env=env, capture_output=True, text=True,
                           timeout=30)
        return r.returncode, r.stdout + r.stderr

    def reg(*args):
        return tool(os.path.join(build, "tools/reg/reg"), *args)

    def start(args, log, user=None):
        if user:
            pw = pwd.getpwnam(user)
            args = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                    "--clear-groups", "--"] + list(args)
        p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    return root, env, tool, reg, start


def kill_instance_processes(pattern, root):
    """SIGKILL to the processes matching pattern that run in the private instance root
    (servers dcomlaunch started, which are not in procs), by PID."""
    import os
    for p in pids_of(pattern, root):
        try:
            os.kill(p, 9)
        except OSError:
            pass
