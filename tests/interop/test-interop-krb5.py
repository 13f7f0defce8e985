#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Kerberos and Negotiate against independent clients, as `make test` runs it:

  a real MIT KDC in a private realm (tests/krb5-realm.sh: OPENDCOM.TEST, every file in
  this test's temp folder, the KDC our child, killed by PID at the end), then rpcss on
  127.0.0.1 and a private port with the realm's service keytab (KRB5_KTNAME: host/localhost
  and RPCSS/localhost), and
    - Samba's python bindings: mgmt inq_if_ids over [krb5,seal], [krb5,sign],
      [spnego,seal], [spnego,sign] and [krb5,connect] with alice's password -- Samba
      checks every signature and seal of ours; a service whose key rpcss lacks
      (cifs/localhost) refused, rpcss auditing it by name, and still serving after;
    - impacket 0.10 with Kerberos from a credential cache (kinit + kvno first: impacket
      cannot talk to an MIT KDC itself), auth_type 9 (SPNEGO around a GSS-framed AP-REQ,
      the third leg in an alter_context): mgmt inq_if_ids at CONNECT and PKT_PRIVACY --
      impacket unseals our responses.  (Its PKT_INTEGRITY with AES is broken in impacket
      itself: GSS_GetMIC concatenates str and bytes under python 3.)
    - tshark on the capture (when run as root): every bind carries a Kerberos AP-REQ it
      dissects, no malformed packet, no expert error.
  Each peer runs with a timeout.  Exit 77 (skipped) without python3-impacket,
  python3-samba or the KDC packages.
Usage: test-interop-krb5.py SOURCE_DIR BUILD_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import check, cleanup, finish, free_port, procs, wait_port

source, build = sys.argv[1], sys.argv[2]

try:
    from impacket.dcerpc.v5 import transport, mgmt as imgmt, rpcrt
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)
try:
    from samba.dcerpc import mgmt
    from samba import param, credentials
except ImportError:
    print("SKIP: python3-samba is not installed")
    sys.exit(77)

root = tempfile.mkdtemp(prefix="opendcom-krb5-")
realm_dir = os.path.join(root, "realm")


def start_realm():
    """The KDC (our child) and the realm's settings in os.environ; None when skipped."""
    log = open(os.path.join(root, "realm.log"), "w+")
    kdc = subprocess.Popen(["/bin/sh", os.path.join(source, "tests", "krb5-realm.sh"), realm_dir],
                           stdout=log, stderr=log)
    procs.append(kdc)
    env_file = os.path.join(realm_dir, "env")
    end = time.time() + 30
    while not os.path.exists(env_file):
        if kdc.poll() is not None:
            log.seek(0)
            if kdc.returncode == 77:
                print(log.read().strip())
                return None
            raise RuntimeError("krb5-realm.sh failed: " + log.read())
        if time.time() > end:
            raise RuntimeError("krb5-realm.sh: no realm after 30 s")
        time.sleep(0.05)
    settings = {}
    for line in open(env_file):
        k, _, v = line.strip().partition("=")
        settings[k] = v
    for k in ("KRB5_CONFIG", "KRB5_KDC_PROFILE"):
        os.environ[k] = settings[k]
    return settings


def kinit(ccache, user, password):
    """Tickets into ccache once the KDC answers (it binds its ports a moment after)."""
    env = dict(os.environ, KRB5CCNAME="FILE:" + ccache, PATH="/usr/bin:/bin:" + os.environ["PATH"])
    for _ in range(100):
        r = subprocess.run(["kinit", user], input=password + "\n", env=env, capture_output=True,
                           text=True, timeout=30)
        if r.returncode == 0:
            return True, ""
        time.sleep(0.1)
    return False, r.stderr


def samba_mgmt(port, how, password, target="host/localhost", user="alice"):
    lp = param.LoadParm()
    lp.load_default()
    creds = credentials.Credentials()
    creds.guess(lp)
    creds.set_username(user)
    creds.set_password(password)
    creds.set_realm("OPENDCOM.TEST")
    creds.set_domain("OPENDCOM")
    creds.set_kerberos_state(credentials.MUST_USE_KERBEROS)
    # Samba needs the server named (interop notes): a bare 127.0.0.1 will not do
    binding = ("ncacn_ip_tcp:127.0.0.1[%d,%s,target_hostname=localhost,"
               "target_principal=%s@OPENDCOM.TEST]" % (port, how, target))
    try:
        c = mgmt.mgmt(binding, lp, creds)
        ids = c.inq_if_ids()
        return len(ids.if_id) >= 2, "%d interfaces" % len(ids.if_id)
    except Exception as e:  # noqa: BLE001 -- report whatever Samba raised
        return False, str(e)


def impacket_mgmt(port, level, ccache):
    """mgmt inq_if_ids with Kerberos from ccache (impacket wants a plain path); (ok, detail)."""
    os.environ["KRB5CCNAME"] = ccache
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:127.0.0.1[%d]" % port)
    t.setRemoteName("localhost")        # impacket asks the cache for host/localhost
    t.set_credentials("alice", "", "OPENDCOM.TEST", "", "", None)
    t.set_kerberos(True, "127.0.0.1")
    t.set_connect_timeout(5)
    dce = t.get_dce_rpc()
    dce.set_auth_type(rpcrt.RPC_C_AUTHN_GSS_NEGOTIATE)
    dce.set_auth_level(level)
    try:
        dce.connect()
        dce.bind(imgmt.MSRPC_UUID_MGMT)
        r = imgmt.hinq_if_ids(dce)
        n = r["if_id_vector"]["count"]
        dce.disconnect()
        return n >= 2, "%d interfaces" % n
    except Exception as e:  # noqa: BLE001
        try:
            dce.disconnect()
        except Exception:  # noqa: BLE001
            pass
        return False, str(e)


try:
    settings = start_realm()
    if settings is None:
        cleanup(root)
        sys.exit(77)
    alice_pw = settings["ALICE_PW"]
    port = free_port()
    ccache = os.path.join(realm_dir, "ccache-impacket")
    ok, detail = kinit(ccache, "alice", alice_pw)
    check("kinit alice against the test's own KDC", ok, detail)
    r = subprocess.run(["kvno", "host/localhost"], env=dict(os.environ, KRB5CCNAME="FILE:" + ccache),
                       capture_output=True, text=True, timeout=30)
    check("kvno host/localhost (impacket takes the service ticket from the cache)",
          r.returncode == 0, r.stderr)

    capture = os.path.join(root, "krb5.pcap")
    tshark = shutil.which("tshark") if os.geteuid() == 0 else None
    cap = None
    if tshark:
        caplog = open(os.path.join(root, "tshark.log"), "w+")
        cap = subprocess.Popen([tshark, "-i", "lo", "-f", "tcp port %d" % port, "-w", capture],
                               stdout=subprocess.DEVNULL, stderr=caplog)
        procs.append(cap)
        end = time.time() + 15
        while time.time() < end and "Capturing on" not in open(caplog.name).read():
            time.sleep(0.1)

    state = os.path.join(root, "state")
    os.mkdir(state)
    log = open(os.path.join(root, "rpcss.log"), "w+")
    env = dict(os.environ, OPENDCOM_ROOT=state, KRB5_KTNAME=settings["KRB5_KTNAME"],
               KRB5RCACHEDIR=settings["KRB5RCACHEDIR"])
    rpcss = subprocess.Popen([os.path.join(build, "services/rpcss"), "--port", str(port),
                              "--listen", "127.0.0.1", "--foreground"],
                             env=env, stdout=log, stderr=log)
    procs.append(rpcss)
    check("rpcss listens", wait_port(port))

    for how in ("krb5,seal", "krb5,sign", "spnego,seal", "spnego,sign", "krb5,connect"):
        ok, detail = samba_mgmt(port, how, alice_pw)
        check("Samba mgmt inq_if_ids over [%s]" % how, ok, detail)

    # a real service of the realm whose key rpcss does not have: rpcss refuses the bind
    ok, detail = samba_mgmt(port, "krb5,seal", alice_pw, target="cifs/localhost")
    check("Samba to a service rpcss has no key for is refused", not ok, detail)
    ok, detail = samba_mgmt(port, "krb5,seal", "wrong-password")
    check("Samba with a wrong password gets no ticket", not ok, detail)

    for level, name in ((rpcrt.RPC_C_AUTHN_LEVEL_CONNECT, "CONNECT"),
                        (rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY, "PKT_PRIVACY")):
        ok, detail = impacket_mgmt(port, level, ccache)
        check("impacket -k (SPNEGO, ccache) mgmt inq_if_ids at %s" % name, ok, detail)

    ok, detail = samba_mgmt(port, "spnego,seal", alice_pw)
    check("rpcss still serves after the refusals", ok, detail)

    rpcss.send_signal(signal.SIGTERM)
    rpcss.wait(10)
    log.seek(0)
    text = log.read()
    denied = [ln for ln in text.splitlines() if "access denied" in ln]
    print("\n".join("# " + ln for ln in denied))
    check("rpcss audits the refused ticket, naming the service and the reason",
          any("Kerberos" in ln and "cifs/localhost" in ln for ln in denied), text)
    check("no other refusal", len(denied) <= 3, text)

    if cap:
        time.sleep(1)
        cap.send_signal(signal.SIGINT)
        cap.wait(15)
        dis = ["-d", "tcp.port==%d,dcerpc" % port]
        r = subprocess.run([tshark, "-r", capture] + dis + ["-Y", "dcerpc.pkt_type == 11"],
                           capture_output=True, text=True, timeout=60)
        binds = r.stdout.count("\n")
        r = subprocess.run([tshark, "-r", capture] + dis + ["-Y", "kerberos.msg_type == 14"],
                           capture_output=True, text=True, timeout=60)
        apreqs = r.stdout.count("\n")
        check("tshark dissects an AP-REQ in every bind", binds >= 7 and apreqs >= binds,
              "%d binds, %d AP-REQs" % (binds, apreqs))
        r = subprocess.run([tshark, "-r", capture] + dis + ["-Y", "kerberos.msg_type == 15"],
                           capture_output=True, text=True, timeout=60)
        check("tshark dissects the AP-REPs (ours in bind_ack, the clients' in AUTH3/alter)",
              r.stdout.count("\n") >= 2 * (binds - 1), r.stdout[:800])
        # PFC_SUPPORT_HEADER_SIGN (the bit tshark calls cancel_pending): Samba offers it in
        # its 5 binds at sign or seal (not at connect) and rpcss grants it, so those PDUs,
        # Samba's and ours, have their header signed; impacket never offers it
        r = subprocess.run([tshark, "-r", capture] + dis +
                           ["-Y", "dcerpc.pkt_type == 12 && dcerpc.cn_flags.cancel_pending == 1"],
                           capture_output=True, text=True, timeout=60)
        check("tshark: rpcss grants header signing to Samba's binds", r.stdout.count("\n") >= 5,
              "%d bind_acks with PFC_SUPPORT_HEADER_SIGN" % r.stdout.count("\n"))
        r = subprocess.run([tshark, "-r", capture] + dis +
                           ["-Y", "_ws.malformed || _ws.expert.severity >= error"],
                           capture_output=True, text=True, timeout=60)
        check("tshark: no malformed packet or expert error", r.stdout.strip() == "",
              r.stdout[:2000])
finally:
    cleanup(root)

finish()
