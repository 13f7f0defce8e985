#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
ORPC against an independent client, without activation ([MS-DCOM] 3.2.4): orpc-serve (a
process of ours) marshals an object for another machine and prints the OBJREF; impacket
0.10 then, as a client on "another machine" would:
  - parses the OBJREF with its own OBJREF/OBJREF_STANDARD classes,
  - resolves the OXID at rpcss (IObjectExporter::ResolveOxid2 on its TCP port),
  - connects to the exporter with NTLM at PKT_PRIVACY (an account from dcompasswd) and
    calls IRemUnknown::RemQueryInterface through its INTERFACE/IRemUnknown2 classes,
  - calls IObjTest2::Add and IObjTest::Greet through the IPIDs it got (its own NDR),
  - gives its references back with RemRelease and pings the OID through rpcss
    (ComplexPing, SimplePing) so that it is not run down, while an OBJREF nobody
    pings is;
  - an unknown IPID gets RPC_E_DISCONNECTED, an unauthenticated call access denied.
tshark reads the capture (dcerpc, remunk, oxid, dcom dissectors) without a malformed
packet or expert error.  Exit 77 without python3-impacket; the NTLM part needs root
(the account store is root's).
Usage: test-interop-orpc.py BUILD_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import harness
from harness import check, cleanup, finish, free_port, procs, wait_port

build = sys.argv[1]

try:
    from impacket.dcerpc.v5 import transport, rpcrt, dcomrt
    from impacket.dcerpc.v5.dcomrt import (OBJREF, OBJREF_STANDARD, ORPCTHIS, ORPCTHAT,
                                           CLASS_INSTANCE, INTERFACE, IRemUnknown2,
                                           IObjectExporter, DCOMConnection)
    from impacket.dcerpc.v5.dtypes import LONG, ULONG, LPWSTR, WSTR, NULL
    from impacket.dcerpc.v5.ndr import NDRCALL, NDRUniConformantArray
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    from impacket.uuid import string_to_bin, uuidtup_to_bin
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

if os.geteuid() != 0:
    print("SKIP: the NTLM account store is root's")
    sys.exit(77)

USER, PASSWORD = "orpcuser", "Orpc-Secret-1"
IID_IObjTest = string_to_bin("7c3e2d1a-0b9f-4e8d-a7c6-5b4a39281706")
IID_IObjTest2 = string_to_bin("7c3e2d1a-0b9f-4e8d-a7c6-5b4a39281707")
PERIOD_MS = 300


# IObjTest2::Add (opnum 3) and IObjTest::Greet (opnum 4), in impacket's own NDR
class ObjAdd(NDRCALL):
    opnum = 3
    structure = (('ORPCthis', ORPCTHIS), ('a', LONG), ('b', LONG))


class ObjAddResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('sum', LONG), ('ErrorCode', ULONG))


class ObjGreet(NDRCALL):
    opnum = 4
    structure = (('ORPCthis', ORPCTHIS), ('name', WSTR))


class ObjGreetResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('greeting', LPWSTR), ('ErrorCode', ULONG))


root = tempfile.mkdtemp(prefix="opendcom-orpc-")
env = dict(os.environ, OPENDCOM_ROOT=root, OPENDCOM_PING_PERIOD_MS=str(PERIOD_MS),
           OPENDCOM_ORPC_LISTEN="127.0.0.1")


def start(args, **kw):
    p = subprocess.Popen(args, env=env, **kw)
    procs.append(p)
    return p


def run(args, timeout=30):
    try:
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return -1, "timeout"


def state(server):
    """orpc-serve's object: references, calls served, connections (IExternalConnection),
    the last ReleaseConnection's fLastReleaseCloses (-1: none yet)"""
    server.stdin.write("refs\n")
    server.stdin.flush()
    return [int(v) for v in server.stdout.readline().split()]


def refs(server):
    return tuple(state(server)[:2])


def orpcthis():
    t = ORPCTHIS()
    t['version']['MajorVersion'] = 5
    t['version']['MinorVersion'] = 7
    t['cid'] = uuid.uuid4().bytes
    t['extensions'] = NULL
    return t


def resolver_dce(port, level=rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY):
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:127.0.0.1[%d]" % port)
    t.set_credentials(USER, PASSWORD, "", "", "")
    dce = t.get_dce_rpc()
    dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
    dce.set_auth_level(level)
    return dce


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

    pcap = os.path.join(root, "orpc.pcap")
    capture = None
    if shutil.which("dumpcap"):
        capture = start(["dumpcap", "-q", "-i", "lo", "-f", "tcp", "-w", pcap],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    rpcss_log = open(os.path.join(root, "rpcss.log"), "w")
    start([os.path.join(build, "services/rpcss"), "--port", str(port), "--listen", "127.0.0.1",
           "--foreground"], stderr=rpcss_log)
    check("rpcss listens", wait_port(port))
    env["OPENDCOM_EPM_PORT"] = str(port)
    server = start([os.path.join(build, "tests/orpc-serve"), "2"], stdin=subprocess.PIPE,
                   stdout=subprocess.PIPE, text=True)
    objrefs = [bytes.fromhex(server.stdout.readline().strip()) for _ in range(2)]
    check("orpc-serve marshals its object twice", all(len(o) > 64 for o in objrefs))
    s = state(server)
    check("IExternalConnection: the two marshals are one connection", s[2] == 1 and s[3] == -1,
          str(s))

    # --- the OBJREF as impacket reads it ([MS-DCOM] 2.2.18) ---
    o = OBJREF_STANDARD(objrefs[0])
    check("OBJREF: signature MEOW, OBJREF_STANDARD, IID IObjTest2",
          o['signature'] == 0x574F454D and o['flags'] == 1 and o['iid'] == IID_IObjTest2,
          "%x %x" % (o['signature'], o['flags']))
    check("STDOBJREF: 5 public references, pinged (no SORF_NOPING)",
          o['std']['cPublicRefs'] == 5 and not o['std']['flags'] & 0x1000)
    oxid, oid, ipid = o['std']['oxid'], o['std']['oid'], o['std']['ipid']
    sa = o['saResAddr']
    sec = int.from_bytes(sa[2:4], 'little')
    res = sa[4:4 + 2 * sec].decode('utf-16-le')
    check("saResAddr names the resolver (rpcss) at 127.0.0.1", ("127.0.0.1[%d]" % port) in res, res)

    # --- OXID resolution at rpcss ---
    dce = resolver_dce(port)
    dce.connect()
    dce.bind(dcomrt.IID_IObjectExporter)
    req = dcomrt.ResolveOxid2()
    req['pOxid'] = oxid
    req['cRequestedProtseqs'] = 1
    req['arRequestedProtseqs'].append(7)
    resp = dce.request(req)
    ipid_remunk = resp['pipidRemUnknown']
    hint = resp['pAuthnHint']
    ver = (resp['pComVersion']['MajorVersion'], resp['pComVersion']['MinorVersion'])
    bindings = b''.join(x.to_bytes(2, 'little') for x in resp['ppdsaOxidBindings']['aStringArray'])
    check("ResolveOxid2: COM 5.7, authentication hint connect", ver == (5, 7) and hint == 2,
          "%s %s" % (ver, hint))
    strb = bindings[:resp['ppdsaOxidBindings']['wSecurityOffset'] * 2].decode('utf-16-le')
    check("ResolveOxid2: TCP bindings only (no ncalrpc for a remote client)",
          "127.0.0.1[" in strb and "OLE" not in strb, strb)
    string_bindings = []
    sb = bindings[:resp['ppdsaOxidBindings']['wSecurityOffset'] * 2]
    while sb[:2] != b'\x00\x00':
        b = dcomrt.STRINGBINDING(sb)
        string_bindings.append(b)
        sb = sb[len(b):]

    # --- impacket's client classes: IRemUnknown2 over NTLM at PKT_PRIVACY ---
    DCOMConnection.PORTMAPS['127.0.0.1'] = dce
    cinstance = CLASS_INSTANCE(orpcthis(), string_bindings)
    cinstance.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
    iface = INTERFACE(cinstance, objrefs[0], ipid_remunk, target='127.0.0.1')
    ok = True
    try:
        qi = IRemUnknown2(iface).RemQueryInterface(1, [IID_IObjTest])
    except Exception as e:  # noqa: BLE001
        ok, qi = False, str(e)
    check("RemQueryInterface(IObjTest) at PKT_PRIVACY", ok, str(qi)[:300])
    if ok:
        calls0 = refs(server)[1]
        a = ObjAdd()
        a['a'], a['b'] = 40, 2
        r = iface.request(a, IID_IObjTest2, iface.get_iPid())
        check("IObjTest2::Add through its IPID: 42, S_OK", r['sum'] == 42 and r['ErrorCode'] == 0,
              "%s %s" % (r['sum'], r['ErrorCode']))
        g = ObjGreet()
        g['name'] = "impacket\x00"
        r = qi.request(g, IID_IObjTest, qi.get_iPid())
        check("IObjTest::Greet through the IPID RemQueryInterface gave",
              r['greeting'].rstrip('\x00') == ">impacket", r['greeting'])
        check("the object served both calls", refs(server)[1] == calls0 + 2)
        r = qi.RemRelease()
        check("RemRelease of the IPID RemQueryInterface gave: S_OK", r['ErrorCode'] == 0)
        # an IPID the exporter never gave out
        bad = ObjAdd()
        bad['a'], bad['b'] = 1, 1
        try:
            iface.request(bad, IID_IObjTest2, uuid.uuid4().bytes)
            check("an unknown IPID is refused", False)
        except Exception as e:  # noqa: BLE001
            check("an unknown IPID gets RPC_E_DISCONNECTED", "80010108" in str(e).lower() or
                  "rpc_e_disconnected" in str(e).lower(), str(e))

    # an unauthenticated client is refused at the exporter (LegacyAuthenticationLevel: connect)
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:" + string_bindings[0]['aNetworkAddr'][:-1])
    d2 = t.get_dce_rpc()
    d2.connect()
    d2.bind(IID_IObjTest2)
    a = ObjAdd()
    a['ORPCthis'] = orpcthis()
    a['a'], a['b'] = 1, 1
    try:
        d2.request(a, uuid=ipid)
        check("an unauthenticated call is refused", False)
    except Exception as e:  # noqa: BLE001
        check("an unauthenticated call is refused (access denied)",
              "access_denied" in str(e).lower() or "0x5" in str(e).lower(), str(e))
    d2.disconnect()

    # --- pinging through rpcss: the pinged OID stays, the other OBJREF's runs down ---
    # both OBJREFs name the same OID; the first's references are impacket's, the second's
    # nobody's.  With pings the object stays alive past several periods.
    resp = IObjectExporter(dce).ComplexPing(0, 0, [oid], [])
    setid = resp['pSetId']
    check("ComplexPing makes a ping set holding the OID", resp['ErrorCode'] == 0 and setid != 0,
          "%s" % resp['ErrorCode'])
    for _ in range(6):
        time.sleep(PERIOD_MS / 1000.0)
        r = IObjectExporter(dce).SimplePing(setid)
    check("SimplePing keeps the set", r['ErrorCode'] == 0)
    alive, _ = refs(server)
    check("pinged: the object is alive after six periods", alive > 1, str(alive))
    a = ObjAdd()
    a['a'], a['b'] = 2, 3
    r = iface.request(a, IID_IObjTest2, iface.get_iPid())
    check("and answers", r['sum'] == 5)
    # no more pings: three periods later the exporter runs the OID down
    end = time.time() + 10
    while time.time() < end and refs(server)[0] > 1:
        time.sleep(0.1)
    check("no pings: run down, every reference given up", refs(server)[0] == 1)
    # the object's IExternalConnection heard of its one connection ending, closing
    s = state(server)
    check("IExternalConnection: no connection left, the last release closing",
          s[2] == 0 and s[3] == 1, str(s))
    dce.disconnect()

    server.stdin.write("quit\n")
    server.stdin.flush()
    check("orpc-serve exits cleanly", server.wait(10) == 0)

    # --- the wire ---
    if capture:
        time.sleep(0.5)
        capture.send_signal(signal.SIGTERM)
        capture.wait(10)
        ports = {port}
        for b in string_bindings:
            a = b['aNetworkAddr']
            if '[' in a:
                ports.add(int(a.split('[')[1].split(']')[0]))
        args = ["tshark", "-n", "-r", pcap]
        for p in ports:
            args += ["-d", "tcp.port==%d,dcerpc" % p]
        rc, out = run(args + ["-Y", "_ws.malformed || _ws.expert.severity >= error"])
        out = "\n".join(l for l in out.splitlines() if "Running as user" not in l and
                        "This could be dangerous" not in l)
        check("tshark: no malformed packet, no expert error", rc == 0 and out.strip() == "",
              out[-1500:])
        rc, out = run(args + ["-Y", "oxid || remunk || dcerpc.cn_bind_to_uuid", "-T", "fields",
                              "-e", "frame.number"])
        check("tshark: dissected oxid and remunk traffic", rc == 0 and len(out.split()) >= 3,
              out[-200:])
    else:
        print("note: no dumpcap: the tshark check was skipped")
finally:
    DCOMConnection.PORTMAPS.clear()
    cleanup(root)
finish()
