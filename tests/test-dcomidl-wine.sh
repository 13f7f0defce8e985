#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dcomidl on real-world IDL: Wine's COM and OLE Automation definitions (Debian's
# libwine-dev) must preprocess, parse, pass the semantic checks and produce a header
# and GUID file each.  Their headers are not compiled: they redefine the Windows base
# types that <dcom/types.h> already provides.  Skips (77) without libwine-dev.
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
        if ! "$DCOMIDL" -I "$WINE" -o "$TMP" "$WINE/$f.idl" 2>"$TMP/stderr"; then
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
# The vtable of a well-known interface, as MIDL lays it out.
grep -q 'HRESULT (STDMETHODCALLTYPE \*QueryInterface)(IStream \*This, REFIID riid, void \*\*ppvObject);' \
        "$TMP/objidl.h" 2>/dev/null || grep -q 'QueryInterface)(IStream \*This' "$TMP/objidlbase.h" ||
        { echo "FAIL: IStream's vtable"; fails=$((fails + 1)); }
grep -q '^const IID IID_IDispatch = {0x00020400, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};' \
        "$TMP/oaidl_i.c" || { echo "FAIL: IID_IDispatch"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
