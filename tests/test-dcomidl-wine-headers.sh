#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Wine's IDL files (Debian's libwine-dev) through dcomidl give headers that compile, as
# C11 and as C++11, against OpenDCOM's own Windows headers alone -- <windows.h>,
# <windef.h>, <winnt.h>, <basetsd.h>, <guiddef.h>, <rpc.h>, <rpcndr.h>, <winuser.h> and
# <dcom/types.h> as installed (INCLUDE_DIR, BUILD_INCLUDE_DIR and their win/), never
# Wine's hand-written headers.  dcomidl writes FILE.h (and those of its imports) into one
# directory, as MIDL fills an SDK's include directory, and each header is then compiled
# after <windows.h> (WIN32_LEAN_AND_MEAN: the base types), its imports found among its
# siblings.  wtypes, unknwn, objidl, oaidl, ocidl and propidl must pass, with their
# FILE_i.c; the count of files that go through is printed and must not drop below MIN.
# The files tried are COM's, OLE's, Automation's and those of Windows services DCOM
# programs talk to (WMI, firewall, task scheduler, VSS, transactions, ...); with "all"
# (or WINE_IDL_ALL=1) every one of Wine's, minutes of compiling.
# The proxies and stubs too: for each file tried that defines object interfaces dcomidl
# writes FILE_p.c, compiled as C11 with -Wall -Wextra -Werror against the same headers;
# unknwn, objidl, oleidl and servprov must pass and the count must not drop below PMIN.
# Skips (77) without libwine-dev or a C++ compiler.
# Usage: test-dcomidl-wine-headers.sh DCOMIDL INCLUDE_DIR BUILD_INCLUDE_DIR CC CXX MIN PMIN
#        [all]
set -u

DCOMIDL=$1
INC=$2
BINC=$3
CC=$4
CXX=$5
MIN=$6
PMIN=$7
WINE=/usr/include/wine/wine/windows
REQUIRED="wtypes unknwn objidl oaidl ocidl propidl"
PREQUIRED="unknwn objidl oleidl servprov"
FILES="$REQUIRED objidlbase oleidl servprov urlmon docobj comcat dispex activscp activaut
       objsafe perhist optary ocmm hlink htiface htiframe oleacc richole textstor tom
       mimeole msxml xmllite exdisp shldisp shtypes objectarray structuredquerycondition
       propsys inputscope mlang wbemcli wbemdisp wmiutils netfw natupnp netcon mstask
       taskschd vss vswriter vsbackup transact txdtc txcoord iads oledb mscoree comsvcs
       wincodec xpsobjectmodel uiautomationcore uiautomationclient"

if [ ! -f "$WINE/unknwn.idl" ]; then
        echo "SKIP: Wine's IDL files are not installed (apt-get install libwine-dev)"
        exit 77
fi
if [ -z "$CXX" ]; then
        echo "SKIP: no C++ compiler"
        exit 77
fi
[ "${8:-}" = all ] && WINE_IDL_ALL=1
if [ "${WINE_IDL_ALL:-0}" = 1 ]; then
        FILES=$(cd "$WINE" && ls -- *.idl | sed 's/\.idl$//')
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/gen" "$TMP/tu" "$TMP/ok" "$TMP/genp" "$TMP/okp"

# the files tried and, for their headers' #includes, what they import
todo=$FILES
: >"$TMP/seen"
while [ -n "$todo" ]; do
        next=""
        for f in $todo; do
                grep -qx "$f" "$TMP/seen" && continue
                echo "$f" >>"$TMP/seen"
                [ -f "$WINE/$f.idl" ] || continue
                "$DCOMIDL" -I "$WINE" -o "$TMP/gen" --no-stubs "$WINE/$f.idl" 2>/dev/null
                next="$next $(sed -n 's/^[[:space:]]*import[[:space:]]*"\([A-Za-z0-9_]*\)\.idl".*/\1/p' \
                        "$WINE/$f.idl")"
        done
        todo=$next
done
total=0
: >"$TMP/generated"
for f in $FILES; do
        total=$((total + 1))
        [ -f "$TMP/gen/$f.h" ] && echo "$f" >>"$TMP/generated"
done

# one file: C11 and C++11, syntax only; a file in ok/ for each that passes both
cat >"$TMP/one.sh" <<'EOS'
#!/bin/sh
f=$1
printf '#define WIN32_LEAN_AND_MEAN\n#include <windows.h>\n#include "%s.h"\n' "$f" >"$T/tu/$f.c"
cp "$T/tu/$f.c" "$T/tu/$f.cc"
flags="-I$T/gen -I$INC -I$BINC -I$INC/win -I$BINC/win -fsyntax-only"
# shellcheck disable=SC2086
if $CC -std=c11 $flags "$T/tu/$f.c" 2>"$T/tu/$f.c.err" &&
   $CXX -std=c++11 $flags "$T/tu/$f.cc" 2>"$T/tu/$f.cc.err"; then
        : >"$T/ok/$f"
fi
exit 0
EOS
chmod +x "$TMP/one.sh"
export T="$TMP" INC BINC CC CXX
xargs -P 2 -n 1 "$TMP/one.sh" <"$TMP/generated"

fails=0
for f in $REQUIRED; do
        if [ ! -f "$TMP/ok/$f" ]; then
                echo "FAIL: $f.h does not compile against OpenDCOM's headers"
                grep -h 'error' "$TMP/tu/$f.c.err" "$TMP/tu/$f.cc.err" 2>/dev/null | head -n 5
                fails=$((fails + 1))
                continue
        fi
        for lang in "$CC -std=c11" "$CXX -x c++ -std=c++11"; do
                # shellcheck disable=SC2086
                if ! $lang -Wall -Wextra -pedantic -Werror -I"$INC" -I"$BINC" -c \
                        -o "$TMP/${f}_i.o" "$TMP/gen/${f}_i.c"; then
                        echo "FAIL: ${f}_i.c ($lang)"
                        fails=$((fails + 1))
                fi
        done
done
# the proxies: FILE_p.c and FILE_stub.h beside the headers above
: >"$TMP/proxied"
for f in $FILES; do
        [ -f "$TMP/ok/$f" ] || continue
        grep -q '^[[:space:]]*object' "$WINE/$f.idl" || continue
        if "$DCOMIDL" -I "$WINE" -o "$TMP/genp" --no-header --no-iid --proxy \
                "$WINE/$f.idl" 2>"$TMP/genp/$f.err"; then
                echo "$f" >>"$TMP/proxied"
        fi
done
cat >"$TMP/onep.sh" <<'EOS'
#!/bin/sh
f=$1
printf '#define WIN32_LEAN_AND_MEAN\n#include <windows.h>\n#include "%s_p.c"\n' "$f" \
        >"$T/tu/p-$f.c"
# shellcheck disable=SC2086
if $CC -std=c11 -Wall -Wextra -Werror -I"$T/genp" -I"$T/gen" -I"$INC" -I"$BINC" \
        -I"$INC/win" -I"$BINC/win" -c -o "$T/tu/p-$f.o" "$T/tu/p-$f.c" \
        2>"$T/tu/${f}_p.err"; then
        : >"$T/okp/$f"
fi
exit 0
EOS
chmod +x "$TMP/onep.sh"
xargs -P 2 -n 1 "$TMP/onep.sh" <"$TMP/proxied"
for f in $PREQUIRED; do
        if [ ! -f "$TMP/okp/$f" ]; then
                echo "FAIL: ${f}_p.c does not compile against OpenDCOM's headers"
                grep -h 'error' "$TMP/genp/$f.err" "$TMP/tu/${f}_p.err" 2>/dev/null | head -n 5
                fails=$((fails + 1))
        fi
done
np=$(find "$TMP/okp" -type f | wc -l)
nprox=0
: >"$TMP/pfailed"
for f in $FILES; do
        [ -f "$TMP/ok/$f" ] || continue
        grep -q '^[[:space:]]*object' "$WINE/$f.idl" || continue
        nprox=$((nprox + 1))
        [ -f "$TMP/okp/$f" ] || printf ' %s' "$f" >>"$TMP/pfailed"
done
echo "Wine IDL files with object interfaces whose proxies and stubs compile: $np of $nprox"
[ -s "$TMP/pfailed" ] && echo "proxies not yet:$(cat "$TMP/pfailed")"
if [ "$np" -lt "$PMIN" ]; then
        echo "FAIL: $np proxy files are fewer than the $PMIN reached before"
        fails=$((fails + 1))
fi

n=$(find "$TMP/ok" -type f | wc -l)
gen=$(wc -l <"$TMP/generated")
: >"$TMP/failed"
for f in $FILES; do
        [ -f "$TMP/ok/$f" ] || printf ' %s' "$f" >>"$TMP/failed"
done
echo "Wine IDL files whose headers compile as C and C++: $n of $total" \
     "($gen of $total through dcomidl)"
[ -s "$TMP/failed" ] && echo "not yet:$(cat "$TMP/failed")"
if [ "$n" -lt "$MIN" ]; then
        echo "FAIL: $n is fewer than the $MIN reached before"
        fails=$((fails + 1))
fi
[ $fails -eq 0 ]
