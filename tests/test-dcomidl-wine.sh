#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dcomidl on real-world IDL: Wine's COM and OLE Automation definitions (Debian's
# libwine-dev) must preprocess, parse, pass the semantic checks and produce a header
# and GUID file each; those whose interfaces dcomidl can remote must also produce their
# proxies and stubs (FILE_p.c, with [local]/[call_as] pairs as MIDL does them).  Their
# output is not compiled: it redefines the Windows base types that <dcom/types.h>
# already provides.  Skips (77) without libwine-dev.
# Usage: test-dcomidl-wine.sh DCOMIDL
set -u

DCOMIDL=$1
case $DCOMIDL in /*) ;; *) DCOMIDL=$PWD/$DCOMIDL ;; esac
WINE=/usr/include/wine/wine/windows
FILES="wtypes unknwn objidl oaidl ocidl propidl objidlbase oleidl servprov urlmon"

if [ ! -f "$WINE/unknwn.idl" ]; then
        echo "SKIP: Wine's IDL files are not installed (apt-get install libwine-dev)"
        exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
for f in $FILES; do
        if ! "$DCOMIDL" -I "$WINE" -o "$TMP" --no-stubs "$WINE/$f.idl" 2>"$TMP/stderr"; then
                echo "FAIL: $f.idl"
                grep 'error:' "$TMP/stderr" | head -n 5
                fails=$((fails + 1))
        elif [ ! -s "$TMP/$f.h" ] || [ ! -f "$TMP/${f}_i.c" ]; then
                echo "FAIL: $f.idl: no output"
                fails=$((fails + 1))
        else
                echo "ok: $f.idl ($(wc -l < "$TMP/$f.h") header lines," \
                     "$(grep -c '^const' "$TMP/${f}_i.c") GUIDs)"
        fi
done
# Proxies and stubs.  Not yet: oaidl and propidl (anonymous nested structures and
# unions in VARIANT/PROPVARIANT), urlmon ([out] STGMEDIUM, a conformant structure).
mkdir -p "$TMP/stubs"
for f in wtypes unknwn objidlbase objidl ocidl oleidl servprov; do
        if ! "$DCOMIDL" -I "$WINE" -o "$TMP/stubs" "$WINE/$f.idl" 2>"$TMP/stderr"; then
                echo "FAIL: $f.idl (stubs)"
                grep 'error:' "$TMP/stderr" | head -n 5
                fails=$((fails + 1))
        elif [ -f "$TMP/stubs/${f}_p.c" ]; then
                echo "ok: $f.idl ($(grep -c '_Proxy(' "$TMP/stubs/${f}_p.c") proxy lines," \
                     "$(grep -c '^int .*_Stub(struct ndr_server_call' "$TMP/stubs/${f}_p.c") stubs)"
        else
                echo "ok: $f.idl (no remotable interfaces)"
        fi
done
# IClassFactory: CreateInstance is [local], RemoteCreateInstance its wire form
grep -q 'IClassFactory_RemoteCreateInstance_Proxy(IClassFactory \*This' "$TMP/stubs/unknwn_p.c" &&
        grep -q 'IClassFactory_CreateInstance_Stub(IClassFactory \*This' "$TMP/stubs/unknwn_stub.h" ||
        { echo "FAIL: IClassFactory's [call_as] pair"; fails=$((fails + 1)); }

# The vtable of a well-known interface, as MIDL lays it out.
grep -q 'HRESULT (STDMETHODCALLTYPE \*QueryInterface)(IStream \*This, REFIID riid, void \*\*ppvObject);' \
        "$TMP/objidl.h" 2>/dev/null || grep -q 'QueryInterface)(IStream \*This' "$TMP/objidlbase.h" ||
        { echo "FAIL: IStream's vtable"; fails=$((fails + 1)); }
grep -q '^const IID IID_IDispatch = {0x00020400, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};' \
        "$TMP/oaidl_i.c" || { echo "FAIL: IID_IDispatch"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
