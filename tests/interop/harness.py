# SPDX-License-Identifier: LGPL-2.1-or-later
"""
What every interop test (tests/interop/test-interop-*.py) needs: checks counted and
printed TAP-like, a free loopback port, waiting for a listener, and the processes a test
starts, stopped by PID at the end with its private state directory removed.
"""
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
