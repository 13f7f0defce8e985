#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
SAFEARRAY in a VARIANT ([MS-OAUT] 2.2.29.1, 2.2.30) byte-level against impacket's NDR
encoder: arrays of I4, BSTR and VARIANT encoded by impacket and pulled by ours
(tests/oaut-wire.c), and ours decoded by impacket, re-encoded by it and compared with
our bytes -- identical apart from referent IDs and padding.

impacket 0.10's own SAFEARRAY classes (dcom/oaut.py) leave out the pointers of
[MS-OAUT]'s IDL: the VARIANT arm is a wirePSAFEARRAY (two [unique] pointers, as Windows
sends it -- Wine's usrmarshal test, which Windows passes, checks both), and the
SAFEARR_* arms point at their elements ([size_is(Size), ref] aBstr, [size_is(clSize)]
pData).  So the peer here is impacket's NDR engine (NDRSTRUCT/NDRUNION/NDRPOINTER and
its BSTR, VARIANT, SAFEARRAYBOUND classes) with those arms declared as the IDL says; the
stock classes' bytes are checked to be refused cleanly (no crash, exit 1).

Records ([MS-OAUT] 2.2.28.2): impacket's _wireBRECORD is not the IDL's either (fFlags and
clSize as hypers, pRecInfo and pRecord inline), so the arm is declared as the IDL says
with impacket's classes -- the pRecInfo an OBJREF_CUSTOM of CLSID_RecordInfo built with
impacket's OBJREF_CUSTOM, carrying RecordInfoData (2.2.31); pRecord the size prefix and
the record (tests/typelib/records.idl's Named {LONG id; BSTR name}) as impacket's NDR
engine encodes that struct.  Ours finds the type in build/tests/records.tlb, registered
in a private OPENDCOM_ROOT.
Usage: test-interop-oaut-wire.py BUILD_DIR; exit 77 without python3-impacket.
"""
import binascii
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

import harness
from harness import check, finish

build = sys.argv[1]

try:
    from impacket.dcerpc.v5.ndr import (NDRCALL, NDRSTRUCT, NDRUNION, NDRPOINTER,
                                        NDRUniConformantArray)
    from impacket.dcerpc.v5.dtypes import ULONG, USHORT, LONG
    from impacket.dcerpc.v5.dcomrt import OBJREF_CUSTOM, PMInterfacePointer, BYTE_ARRAY
    from impacket.dcerpc.v5.dcom import oaut
    from impacket.dcerpc.v5.dcom.oaut import (VARENUM, SF_TYPE, SAFEARRAYBOUND,
                                              SAFEARRAYBOUND_ARRAY, BSTR_ARRAY,
                                              VARIANT_ARRAY, DWORD_ARRAY)
except ImportError:
    print("SKIP: python3-impacket is not installed")
    sys.exit(77)

TOOL = os.path.join(build, "tests", "oaut-wire")


# [MS-OAUT] 2.2.30.2, 2.2.30.5, 2.2.30.8.3: the arms with their element pointers.
class PDWORD_ARRAY(NDRPOINTER):
    referent = (('Data', DWORD_ARRAY),)


class PBSTR_ARRAY(NDRPOINTER):
    referent = (('Data', BSTR_ARRAY),)


class PVARIANT_ARRAY(NDRPOINTER):
    referent = (('Data', VARIANT_ARRAY),)


class DWORD_SIZEDARR(NDRSTRUCT):
    structure = (('clSize', ULONG), ('pData', PDWORD_ARRAY))


class SAFEARR_BSTR(NDRSTRUCT):
    structure = (('Size', ULONG), ('aBstr', PBSTR_ARRAY))


class SAFEARR_VARIANT(NDRSTRUCT):
    structure = (('Size', ULONG), ('aVariant', PVARIANT_ARRAY))


# 2.2.28.2.1, as the IDL says: {ULONG fFlags; ULONG clSize; MInterfacePointer *pRecInfo;
# [size_is(clSize)] byte *pRecord;} behind a [unique] wireBRECORD.
class PBYTE_ARRAY(NDRPOINTER):
    referent = (('Data', BYTE_ARRAY),)


class wireBRECORD_Str(NDRSTRUCT):
    structure = (('fFlags', ULONG), ('clSize', ULONG), ('pRecInfo', PMInterfacePointer),
                 ('pRecord', PBYTE_ARRAY))


class wireBRECORD(NDRPOINTER):
    referent = (('Data', wireBRECORD_Str),)


# 2.2.30.6: a wireBRECORD per element
class WIREBRECORD_ARRAY(NDRUniConformantArray):
    item = wireBRECORD


class PWIREBRECORD_ARRAY(NDRPOINTER):
    referent = (('Data', WIREBRECORD_ARRAY),)


class SAFEARR_BRECORD(NDRSTRUCT):
    structure = (('Size', ULONG), ('aRecord', PWIREBRECORD_ARRAY))


# 2.2.30.9
class SAFEARRAYUNION(NDRUNION):
    commonHdr = (('tag', ULONG),)
    union = {
        SF_TYPE.SF_BSTR: ('BstrStr', SAFEARR_BSTR),
        SF_TYPE.SF_VARIANT: ('VariantStr', SAFEARR_VARIANT),
        SF_TYPE.SF_I4: ('LongStr', DWORD_SIZEDARR),
        SF_TYPE.SF_RECORD: ('RecordStr', SAFEARR_BRECORD),
    }


# 2.2.30.10: _wireSAFEARRAY behind wireSAFEARRAY, behind wirePSAFEARRAY in the VARIANT.
class wireSAFEARRAY_Str(NDRSTRUCT):
    structure = (('cDims', USHORT), ('fFeatures', USHORT), ('cbElements', ULONG),
                 ('cLocks', ULONG), ('uArrayStructs', SAFEARRAYUNION),
                 ('rgsabound', SAFEARRAYBOUND_ARRAY))


class wireSAFEARRAY(NDRPOINTER):
    referent = (('Data', wireSAFEARRAY_Str),)


class wirePSAFEARRAY(NDRPOINTER):
    referent = (('Data', wireSAFEARRAY),)


class varUnion(oaut.varUnion):
    union = dict(oaut.varUnion.union)
    union[VARENUM.VT_ARRAY] = ('parray', wirePSAFEARRAY)
    union[VARENUM.VT_RECORD] = ('brecVal', wireBRECORD)


class wireVARIANTStr(oaut.wireVARIANTStr):
    structure = tuple((n, varUnion) if n == '_varUnion' else (n, t)
                      for n, t in oaut.wireVARIANTStr.structure)


class VARIANT(NDRPOINTER):
    referent = (('Data', wireVARIANTStr),)


class Stream(NDRCALL):
    """A VARIANT alone in an NDR stream, as an [in] parameter."""
    opnum = 0
    structure = (('v', VARIANT),)


class StockStream(NDRCALL):
    opnum = 0
    structure = (('v', oaut.VARIANT),)


def elem_variant(vt, arm, value):
    v = oaut.VARIANT(None, False)
    v['clSize'] = 5
    v['rpcReserved'] = 0
    v['vt'] = vt
    v['_varUnion']['tag'] = vt
    if arm == 'bstrVal':
        v['_varUnion']['bstrVal']['asData'] = value
    else:
        v['_varUnion'][arm] = value
    return v


def bstr(text):
    b = oaut.BSTR(None, False)
    b['asData'] = text
    return b


def array_variant(cls, vt, sf, arm, size_field, data_field, values, lbound, cb):
    v = cls(None, False)
    v['clSize'] = 0
    v['rpcReserved'] = 0
    v['vt'] = VARENUM.VT_ARRAY | vt
    v['_varUnion']['tag'] = VARENUM.VT_ARRAY
    sa = v['_varUnion']['parray']
    sa['cDims'] = 1
    sa['fFeatures'] = 0x80                      # FADF_HAVEVARTYPE
    sa['cbElements'] = cb
    sa['cLocks'] = vt << 16                     # the VARTYPE in the high word, as Windows
    sa['uArrayStructs']['tag'] = sf
    sa['uArrayStructs'][arm][size_field] = len(values)
    sa['uArrayStructs'][arm][data_field] = values
    b = SAFEARRAYBOUND()
    b['cElements'] = len(values)
    b['lLbound'] = lbound
    sa['rgsabound'] = [b]
    return v


def ours_pull(data):
    r = subprocess.run([TOOL, "pull", binascii.hexlify(data).decode()], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout.split("\n"), r.stderr.strip()


def ours_push(kind):
    r = subprocess.run([TOOL, "push", kind], capture_output=True, text=True, timeout=30)
    return binascii.unhexlify(r.stdout.strip()) if r.returncode == 0 else None


PAD = (0xab, 0xbf, 0xce, 0xee)


def same_but_ids_and_padding(ours, theirs):
    """Equal length; every differing 4-byte word is our referent ID (0x0002xxxx) against a
    non-zero one of impacket's, or our zero pad bytes against impacket's."""
    if len(ours) != len(theirs):
        return False, "lengths %d/%d" % (len(ours), len(theirs))
    for off in range(0, len(ours), 4):
        a, b = ours[off:off + 4], theirs[off:off + 4]
        if a == b:
            continue
        wa = int.from_bytes(a.ljust(4, b'\0'), 'little')
        wb = int.from_bytes(b.ljust(4, b'\0'), 'little')
        if wa >> 16 == 2 and wb != 0:
            continue                            # a referent ID each
        if all(x == y or (x == 0 and y in PAD) for x, y in zip(a, b)):
            continue                            # padding (impacket fills it)
        return False, "word at %d: %s vs %s" % (off, a.hex(), b.hex())
    return True, ""


# --- impacket encodes, ours pulls ------------------------------------------------------------
cases = [
    ("I4", array_variant(VARIANT, VARENUM.VT_I4, SF_TYPE.SF_I4, 'LongStr', 'clSize', 'pData',
                         [10, (-20) & 0xffffffff, 30], 0, 4),
     ["vt 0x2003", "dims 1", "bound 3 0", "vartype 0x03", "I4 10", "I4 -20", "I4 30"]),
    ("BSTR", array_variant(VARIANT, VARENUM.VT_BSTR, SF_TYPE.SF_BSTR, 'BstrStr', 'Size', 'aBstr',
                           [bstr("alpha"), bstr(""), bstr("gamma")], 1, 4),
     ["vt 0x2008", "dims 1", "bound 3 1", "vartype 0x08", "BSTR alpha", "BSTR ", "BSTR gamma"]),
    ("VARIANT", array_variant(VARIANT, VARENUM.VT_VARIANT, SF_TYPE.SF_VARIANT, 'VariantStr', 'Size',
                              'aVariant', [elem_variant(VARENUM.VT_I4, 'lVal', 7),
                                           elem_variant(VARENUM.VT_BSTR, 'bstrVal', "seven"),
                                           elem_variant(VARENUM.VT_BOOL, 'boolVal', 0xffff)], 0, 16),
     ["vt 0x200c", "dims 1", "bound 3 0", "vartype 0x0c", "VARIANT 3 7", "VARIANT 8 seven",
      "VARIANT 11 -1"]),
]
for name, v, expect in cases:
    s = Stream(isNDR64=False)
    s['v'] = v
    data = s.getData()
    rc, out, err = ours_pull(data)
    check("impacket's SAFEARRAY of %s pulled by ours" % name,
          rc == 0 and out[:len(expect)] == expect and "left 0" in out, "%s %s" % (out, err))

# --- ours pushes, impacket decodes ----------------------------------------------------------
for kind, check_values in [
        ("i4", lambda sa: sa['uArrayStructs']['tag'] == SF_TYPE.SF_I4
         and list(sa['uArrayStructs']['LongStr']['pData']) == [10, (-20) & 0xffffffff, 30]),
        ("bstr", lambda sa: sa['uArrayStructs']['tag'] == SF_TYPE.SF_BSTR
         and [b['asData'] for b in sa['uArrayStructs']['BstrStr']['aBstr']]
         == ["alpha", "", "gamma"] and sa['rgsabound'][0]['lLbound'] == 1),
        ("variant", lambda sa: sa['uArrayStructs']['tag'] == SF_TYPE.SF_VARIANT
         and [x['vt'] for x in sa['uArrayStructs']['VariantStr']['aVariant']]
         == [VARENUM.VT_I4, VARENUM.VT_BSTR, VARENUM.VT_BOOL]
         and sa['uArrayStructs']['VariantStr']['aVariant'][0]['_varUnion']['lVal'] == 7
         and sa['uArrayStructs']['VariantStr']['aVariant'][1]['_varUnion']['bstrVal']['asData']
         == "seven")]:
    data = ours_push(kind)
    try:
        s = Stream(data, isNDR64=False)
        v = s['v']
        sa = v['_varUnion']['parray']
        ok = (v['vt'] & VARENUM.VT_ARRAY and v['_varUnion']['tag'] == VARENUM.VT_ARRAY
              and sa['cDims'] == 1 and (sa['cLocks'] >> 16) == v['vt'] & 0xfff
              and check_values(sa))
        detail = ""
    except Exception as e:                      # a decoding error is a failed check
        ok, detail = False, repr(e)
    check("our SAFEARRAY of %s decoded by impacket" % kind, ok, detail)
    if ok:
        again = s.getData()
        same, detail = same_but_ids_and_padding(data, again)
        check("impacket re-encodes our %s array byte for byte (IDs, padding aside)" % kind,
              same, detail)

# --- records ([MS-OAUT] 2.2.28.2) -----------------------------------------------------------
LIBID = uuid.UUID("7a1c0e20-4b3d-4f6e-9a10-2c3d4e5f6a01")
NAMED = uuid.UUID("7a1c0e20-4b3d-4f6e-9a10-2c3d4e5f6a06")
CLSID_RECORDINFO = uuid.UUID("0000002f-0000-0000-c000-000000000046")


class Named(NDRSTRUCT):
    """tests/typelib/records.idl's Named as MIDL marshals the struct."""
    structure = (('id', LONG), ('name', oaut.BSTR))


def as_bytes(items):
    """An impacket byte array's items (ints or 1-byte strings) as bytes."""
    return b''.join(bytes([x]) if isinstance(x, int) else x for x in items)


def recinfo_objref(lib, major, minor, lcid, rec):
    o = OBJREF_CUSTOM()
    o['iid'] = CLSID_RECORDINFO.bytes_le               # IID_IRecordInfo: the same GUID
    o['clsid'] = CLSID_RECORDINFO.bytes_le
    o['cbExtension'] = 0
    data = lib.bytes_le + struct.pack('<L', major) + rec.bytes_le + struct.pack('<LL', minor, lcid)
    o['ObjectReferenceSize'] = len(data)
    o['pObjectData'] = data
    return o.getData()


def fill_brecord(br, ident, name, lib=LIBID, rec=NAMED):
    n = Named()
    n['id'] = ident
    n['name']['asData'] = name
    body = n.getData(4)                 # the struct, then its BSTR: after the 4-byte prefix
    body += n.getDataReferents(4 + len(body))
    payload = struct.pack('<L', 4 + len(body)) + body
    br['fFlags'] = 1
    br['clSize'] = len(payload)
    objref = recinfo_objref(lib, 1, 2, 0, rec)
    br['pRecInfo']['ulCntData'] = len(objref)
    br['pRecInfo']['abData'] = list(objref)
    br['pRecord'] = list(payload)


def record_variant(ident, name, lib=LIBID, rec=NAMED):
    v = VARIANT(None, False)
    v['clSize'] = 0
    v['rpcReserved'] = 0
    v['vt'] = VARENUM.VT_RECORD
    v['_varUnion']['tag'] = VARENUM.VT_RECORD
    fill_brecord(v['_varUnion']['brecVal'], ident, name, lib, rec)
    return v


def record_array_variant(items):
    elems = []
    for ident, name in items:
        br = wireBRECORD(None, False)
        fill_brecord(br, ident, name)
        elems.append(br)
    return array_variant(VARIANT, VARENUM.VT_RECORD, SF_TYPE.SF_RECORD, 'RecordStr', 'Size',
                         'aRecord', elems, 0, 16)       # Named: 16 bytes on LP64


def named_of(br):
    """(fFlags, clSize ok, the RecordInfoData ok, id, name) of a decoded _wireBRECORD."""
    o = OBJREF_CUSTOM(as_bytes(br['pRecInfo']['abData']))
    od = o['pObjectData']
    payload = as_bytes(br['pRecord'])
    n = Named()
    n.fromStringReferents(payload, 4 + n.fromString(payload, 4))
    return (br['fFlags'],
            br['clSize'] == len(payload) == struct.unpack('<L', payload[:4])[0],
            o['flags'] == 4 and o['clsid'] == CLSID_RECORDINFO.bytes_le
            and od[:16] == LIBID.bytes_le and struct.unpack('<L', od[16:20])[0] == 1
            and od[20:36] == NAMED.bytes_le and struct.unpack('<LL', od[36:44]) == (2, 0),
            n['id'], n['name']['asData'])


root = tempfile.mkdtemp(prefix="oaut-wire-")
os.environ["OPENDCOM_ROOT"] = root
os.environ["RECORDS_TLB"] = os.path.join(build, "tests", "records.tlb")
try:
    s = Stream(isNDR64=False)
    s['v'] = record_variant(42, "hello")
    rc, out, err = ours_pull(s.getData())
    check("impacket's VT_RECORD (Named) pulled by ours",
          rc == 0 and out == ["vt 0x0024", "record Named", "field id 3 42", "field name 8 hello",
                              "left 0", ""], "%s %s" % (out, err))
    s = Stream(isNDR64=False)
    s['v'] = record_variant(1, "x", rec=uuid.UUID("7a1c0e20-4b3d-4f6e-9a10-2c3d4e5f6aff"))
    rc, out, err = ours_pull(s.getData())
    check("a record of a type nobody registered refused, not crashed", rc == 1 and "refused" in err,
          err)
    s = Stream(isNDR64=False)
    s['v'] = record_array_variant([(7, "seven"), (8, "")])
    rc, out, err = ours_pull(s.getData())
    check("impacket's SAFEARRAY of records pulled by ours",
          rc == 0 and out == ["vt 0x2024", "dims 1", "bound 2 0", "vartype 0x24", "record Named",
                              "field id 3 7", "field name 8 seven", "record Named",
                              "field id 3 8", "field name 8 ", "left 0", ""], "%s %s" % (out, err))

    data = ours_push("record")
    try:
        s = Stream(data, isNDR64=False)
        v = s['v']
        br = v['_varUnion']['brecVal']
        ok = v['vt'] == VARENUM.VT_RECORD and named_of(br) == (1, True, True, 42, "hello")
        detail = ""
    except Exception as e:                      # a decoding error is a failed check
        ok, detail = False, repr(e)
    check("our VT_RECORD decoded by impacket (RecordInfoData, the record's NDR)", ok, detail)
    if ok:
        same, detail = same_but_ids_and_padding(data, s.getData())
        check("impacket re-encodes our record byte for byte (IDs, padding aside)", same, detail)

    data = ours_push("record-array")
    try:
        s = Stream(data, isNDR64=False)
        v = s['v']
        sa = v['_varUnion']['parray']
        recs = sa['uArrayStructs']['RecordStr']
        ok = (v['vt'] == VARENUM.VT_ARRAY | VARENUM.VT_RECORD
              and sa['uArrayStructs']['tag'] == SF_TYPE.SF_RECORD and sa['cbElements'] == 16
              and sa['fFeatures'] & 0x20 and recs['Size'] == 2        # FADF_RECORD
              and [named_of(br) for br in recs['aRecord']]
              == [(1, True, True, 1, "a"), (1, True, True, 2, "")])  # NULL BSTR: impacket's ""
        detail = ""
    except Exception as e:
        ok, detail = False, repr(e)
    check("our SAFEARRAY of records decoded by impacket", ok, detail)
    if ok:
        same, detail = same_but_ids_and_padding(data, s.getData())
        check("impacket re-encodes our array of records byte for byte (IDs, padding aside)",
              same, detail)

    # impacket's stock _wireBRECORD (hypers, the interface pointer and bytes inline)
    v = oaut.VARIANT(None, False)
    v['clSize'] = 0
    v['rpcReserved'] = 0
    v['vt'] = VARENUM.VT_RECORD
    v['_varUnion']['tag'] = VARENUM.VT_RECORD
    br = v['_varUnion']['brecVal']
    br['fFlags'] = 1
    br['clSize'] = 8
    objref = recinfo_objref(LIBID, 1, 2, 0, NAMED)
    br['pRecInfo']['ulCntData'] = len(objref)
    br['pRecInfo']['abData'] = list(objref)
    br['pRecord'] = list(struct.pack('<LL', 8, 1))
    s = StockStream(isNDR64=False)
    s['v'] = v
    rc, out, err = ours_pull(s.getData())
    check("impacket's stock _wireBRECORD (not the IDL's) refused, not crashed",
          rc == 1 and "refused" in err, err)
finally:
    shutil.rmtree(root, ignore_errors=True)

# --- impacket's stock classes (no pointers): refused cleanly -------------------------------
stock = array_variant(oaut.VARIANT, VARENUM.VT_I4, SF_TYPE.SF_I4, 'LongStr', 'clSize', 'pData',
                      [1, 2, 3], 0, 4)
s = StockStream(isNDR64=False)
s['v'] = stock
rc, out, err = ours_pull(s.getData())
check("impacket's stock wireSAFEARRAY (no pointers) refused, not crashed",
      rc == 1 and "refused" in err, err)

finish()
