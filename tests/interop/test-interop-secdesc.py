#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Security descriptors and SDDL (src/security) against two independent implementations,
through tests/secdesc-helper:

  - impacket's ldaptypes (SR_SECURITY_DESCRIPTOR) reads the descriptors we build from
    SDDL: owner, group, control, every ACE's type, flags, mask, SID (and object GUIDs) --
    checked against what Samba's own parser makes of the same SDDL; impacket writes them
    back byte for byte as we wrote them; and we read descriptors impacket builds from its
    own structures (ACCESS_ALLOWED_ACE, ACCESS_DENIED_ACE, LDAP_SID) into the SDDL they
    mean, and COM-check them;
  - Samba's python SDDL (samba.security.descriptor.from_sddl / as_sddl): for each SDDL
    string, our binary and Samba's hold the same owner, group, control and ACEs byte for
    byte, Samba reads ours back to the SDDL it reads its own to, and we read Samba's.
    Samba lays the parts out differently (owner, group, SACL, DACL, and ACL revision 4
    always); Windows, impacket and we write SACL, DACL, owner, group and revision 2
    without object ACEs -- the parts are compared, not the layout.
Exit 77 (skipped) without python3-impacket or python3-samba.
Usage: test-interop-secdesc.py BUILD_DIR
"""
import subprocess
import sys

from harness import check, finish

build = sys.argv[1]
helper = build + "/tests/secdesc-helper"

try:
    from impacket.ldap import ldaptypes
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)
try:
    from samba.dcerpc import security
    from samba.ndr import ndr_pack, ndr_unpack
except ImportError:
    print("SKIP: python3-samba is not installed")
    sys.exit(77)

DOMAIN = security.dom_sid("S-1-5-21-1-2-3")

SDDLS = [
    # Windows' defaults under HKLM\Software\Microsoft\Ole
    "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;WD)(A;;CCDCLCSWRP;;;S-1-5-32-562)(A;;CCDCLCSWRP;;;LU)",
    "O:BAG:BAD:(A;;CCDCLC;;;WD)(A;;CCDC;;;AN)(A;;CCDCLC;;;S-1-5-32-562)(A;;CCDCLC;;;LU)",
    "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;IU)(A;;CCDCLCSWRP;;;SY)",
    # a legacy (pre-XP SP2) LaunchPermission, deny ACEs, inheritance, a SACL
    "O:BAG:BAD:(A;;CC;;;WD)(A;;CC;;;SY)",
    "O:SYG:BAD:P(D;;CCDCLCSWRP;;;AN)(A;OICI;0x1f;;;S-1-5-21-1-2-3-1001)S:(AU;SAFA;CC;;;WD)",
    # (FILE_ALL_ACCESS and KEY_ALL_ACCESS in hex: Samba's "FA" is 0x1ff, not Windows'
    # 0x1f01ff, and it has no "KA")
    "D:PAI(A;OICIID;0x1f01ff;;;SY)(A;OICIIO;GXGR;;;BU)(D;NP;0xf003f;;;AN)(A;;0x12345678;;;NU)",
    "O:PSG:PSD:(A;;CCDCLCSWRP;;;PS)(A;;CCDC;;;IU)(A;;CCDCLC;;;S-1-22-1-1000)(A;;CCDCLC;;;S-1-22-2-100)",
    # object ACEs (ACL revision 4)
    "D:(OA;CI;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;4828cc14-1437-45bc-9b07-ad6f015e5f28;AU)"
    "(OD;;CR;00299570-246d-11d0-a768-00aa006e0529;;WD)",
    "D:NO_ACCESS_CONTROL",
    "D:",
]


def ours_parse(sddl):
    r = subprocess.run([helper, "parse", sddl], capture_output=True, text=True, timeout=30)
    return bytes.fromhex(r.stdout.strip()) if r.returncode == 0 else None


def ours_format(data):
    r = subprocess.run([helper, "format", data.hex()], capture_output=True, text=True, timeout=30)
    return r.stdout.strip() if r.returncode == 0 else None


def ours_check(data, token, want):
    r = subprocess.run([helper, "check", data.hex(), token, str(want)], capture_output=True,
                       text=True, timeout=30)
    return r.stdout.strip()


def impacket_view(data):
    """What impacket reads: control, owner, group, and each ACL's ACEs."""
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=data)
    view = {"control": sd["Control"],
            "owner": sd["OwnerSid"].formatCanonical() if sd["OffsetOwner"] else None,
            "group": sd["GroupSid"].formatCanonical() if sd["OffsetGroup"] else None}
    for name in ("Dacl", "Sacl"):
        acl = sd[name]
        if not acl:
            view[name] = None
            continue
        aces = []
        for a in acl.aces:
            body = a["Ace"]
            entry = (a["AceType"], a["AceFlags"], body["Mask"]["Mask"], body["Sid"].formatCanonical())
            if "Flags" in body.fields:
                entry += (body["Flags"], bytes(body["ObjectType"] or b""),
                          bytes(body["InheritedObjectType"] or b""))
            aces.append(entry)
        view[name] = aces
    return sd, view


def samba_view(sd):
    """The same, from Samba's parse of the SDDL."""
    view = {"control": sd.type,
            "owner": str(sd.owner_sid) if sd.owner_sid else None,
            "group": str(sd.group_sid) if sd.group_sid else None}
    for name, acl, present in (("Dacl", sd.dacl, sd.type & 0x4), ("Sacl", sd.sacl, sd.type & 0x10)):
        if not present or acl is None:
            view[name] = None
            continue
        aces = []
        for a in acl.aces:
            entry = (a.type, a.flags, a.access_mask, str(a.trustee))
            if a.type in (5, 6, 7, 8):
                o = a.object
                flags = o.flags
                ot = ndr_pack(o.type) if flags & 1 else b""
                it = ndr_pack(o.inherited_type) if flags & 2 else b""
                entry += (flags, ot, it)
            aces.append(entry)
        view[name] = aces
    return view


def parts(data):
    """Owner, group and each ACE's bytes, read with impacket: layout-free identity."""
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=data)
    out = [sd["Control"],
           sd["OwnerSid"].getData() if sd["OffsetOwner"] else None,
           sd["GroupSid"].getData() if sd["OffsetGroup"] else None]
    for name in ("Dacl", "Sacl"):
        acl = sd[name]
        out.append([a.getData() for a in acl.aces] if acl else None)
    return out


for sddl in SDDLS:
    short = sddl if len(sddl) < 60 else sddl[:57] + "..."
    ours = ours_parse(sddl)
    check("we parse %s" % short, ours is not None)
    if ours is None:
        continue
    try:
        sam = security.descriptor.from_sddl(sddl, DOMAIN)
    except TypeError:
        sam = None
    if sam is None:
        # this Samba has no NO_ACCESS_CONTROL: impacket's reading alone, against the spec
        # ([MS-DTYP] 2.4.6: SE_DACL_PRESENT with OffsetDacl 0 is a NULL DACL)
        isd, iview = impacket_view(ours)
        check("impacket reads ours: %s (Samba cannot parse it)" % short,
              iview["control"] == 0x8004 and isd["OffsetDacl"] == 0 and iview["Dacl"] is None,
              "%r" % iview)
        check("impacket writes ours back byte for byte: %s" % short, isd.getData() == ours)
        continue
    sam_bin = ndr_pack(sam)

    # impacket reads ours as Samba reads the SDDL; impacket writes ours back unchanged
    try:
        isd, iview = impacket_view(ours)
        ok = True
    except Exception as e:          # noqa: BLE001 -- any failure to read is the finding
        ok, iview, detail = False, None, str(e)
    check("impacket reads ours: %s" % short, ok)
    if ok:
        sview = samba_view(sam)
        # NULL DACL: impacket shows no ACL, as Samba does (present, no ACEs)
        if sview.get("Dacl") == [] and sam.dacl is None:
            sview["Dacl"] = None
        check("impacket's reading of ours = Samba's parse: %s" % short, iview == sview,
              "%r != %r" % (iview, sview))
        check("impacket writes ours back byte for byte: %s" % short, isd.getData() == ours)

    # Samba: the same parts; Samba reads ours to the SDDL it reads its own to; we read Samba's
    check("same owner, group, control and ACE bytes as Samba: %s" % short,
          parts(ours) == parts(sam_bin), "%r != %r" % (parts(ours), parts(sam_bin)))
    back = ndr_unpack(security.descriptor, ours)
    check("Samba reads ours: %s" % short, back.as_sddl(DOMAIN) == sam.as_sddl(DOMAIN),
          "%s != %s" % (back.as_sddl(DOMAIN), sam.as_sddl(DOMAIN)))
    mine = ours_format(sam_bin)
    check("we read Samba's binary back to our SDDL: %s" % short,
          mine is not None and mine == ours_format(ours), "%s" % mine)

# Descriptors impacket builds, read by us


def ace(kind, mask, sid, flags=0):
    a = ldaptypes.ACE()
    a["AceType"] = kind.ACE_TYPE
    a["AceFlags"] = flags
    body = kind()
    body["Mask"] = ldaptypes.ACCESS_MASK()
    body["Mask"]["Mask"] = mask
    body["Sid"] = ldaptypes.LDAP_SID()
    body["Sid"].fromCanonical(sid)
    a["Ace"] = body
    return a


def impacket_sd(aces, owner="S-1-5-32-544", group="S-1-5-32-544"):
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR()
    sd["Revision"] = b"\x01"
    sd["Sbz1"] = b"\x00"
    sd["Control"] = 0x8004
    sd["OwnerSid"] = ldaptypes.LDAP_SID()
    sd["OwnerSid"].fromCanonical(owner)
    sd["GroupSid"] = ldaptypes.LDAP_SID()
    sd["GroupSid"].fromCanonical(group)
    sd["Sacl"] = b""
    acl = ldaptypes.ACL()
    acl["AclRevision"] = 2
    acl["Sbz1"] = 0
    acl["Sbz2"] = 0
    acl.aces = aces
    sd["Dacl"] = acl
    return sd.getData()


built = impacket_sd([ace(ldaptypes.ACCESS_DENIED_ACE, 0x15, "S-1-5-2"),
                     ace(ldaptypes.ACCESS_ALLOWED_ACE, 0x1f, "S-1-1-0"),
                     ace(ldaptypes.ACCESS_ALLOWED_ACE, 0x1f, "S-1-5-21-1-2-3-1001", 0x03)])
expect = "O:BAG:BAD:(D;;CCLCRP;;;NU)(A;;CCDCLCSWRP;;;WD)(A;OICI;CCDCLCSWRP;;;S-1-5-21-1-2-3-1001)"
check("we read impacket's descriptor", ours_format(built) == expect, "%s" % ours_format(built))
check("our SDDL of it parses to impacket's bytes", ours_parse(expect) == built)
# and it means what it says: NETWORK may not launch remotely, a local caller may
check("impacket's descriptor: remote launch denied to NETWORK",
      ours_check(built, "S-1-5-21-1-2-3-1001,remote", 0x15) == "denied")
check("impacket's descriptor: local launch allowed",
      ours_check(built, "S-1-5-21-1-2-3-1001", 0x0b) == "allowed")
legacy = impacket_sd([ace(ldaptypes.ACCESS_ALLOWED_ACE, 0x1, "S-1-5-11")])
check("impacket's legacy descriptor: COM_RIGHTS_EXECUTE alone grants remote launch",
      ours_check(legacy, "S-1-5-21-1-2-3-1001,remote", 0x15) == "allowed")
check("impacket's legacy descriptor: not to ANONYMOUS LOGON",
      ours_check(legacy, "S-1-5-7,remote,anonymous", 0x15) == "denied")
# impacket's descriptor cut short: refused, not read
check("a truncated impacket descriptor is refused", ours_format(built[:-3]) is None)

finish()
