#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `meson install` into a scratch DESTDIR, then build an outside program the way a user
# would -- `pkg-config --cflags --libs dcom` -- and run it against the installed
# libdcom.so.
#     check-install.sh BUILDDIR PROGRAM.c [OBJBASE-PROGRAM.c [CALC-EXAMPLE-DIR]]
set -eu
build=$1
prog=$2
com_prog=${3:-}
calc_dir=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --destdir "$tmp/root" --quiet >/dev/null
libdir=$(find "$tmp/root" -name 'libdcom.so' -print | head -n 1)
pcdir=$(find "$tmp/root" -name 'dcom.pc' -exec dirname {} \; | head -n 1)
[ -n "$libdir" ] || { echo "check-install: libdcom.so was not installed" >&2; exit 1; }
[ -n "$pcdir" ] || { echo "check-install: dcom.pc was not installed" >&2; exit 1; }
find "$tmp/root" -name dcomerr -type f | grep -q . || { echo "check-install: dcomerr missing" >&2; exit 1; }

export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs dcom)
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/prog" "$prog" $flags
# A sanitized build's library pulls in libasan after the program's own libraries.
ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 \
        LD_LIBRARY_PATH=$(dirname "$libdir") "$tmp/prog" >/dev/null
# Windows-style COM code finds <objbase.h> through the same flags.
if [ -n "$com_prog" ]; then
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/com-prog" "$com_prog" $flags
        ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 OPENDCOM_ROOT="$tmp/state" \
                LD_LIBRARY_PATH=$(dirname "$libdir") "$tmp/com-prog" >/dev/null
fi
# ... and in C++, next to the C file, when there is a C++ compiler.
if [ -n "$com_prog" ] && [ -f "${com_prog%.c}.cc" ] && command -v c++ >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        c++ -std=c++11 -Wall -Werror -o "$tmp/com-prog-cc" "${com_prog%.c}.cc" $flags
        ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 OPENDCOM_ROOT="$tmp/state-cc" \
                LD_LIBRARY_PATH=$(dirname "$libdir") "$tmp/com-prog-cc" >/dev/null
fi

# The calculator example built from the installed tree as the README shows: dcomidl
# with the installed IDL, component and client with pkg-config, regsvr, the client.
if [ -n "$calc_dir" ]; then
        bindir=$(dirname "$(find "$tmp/root" -name dcomidl -type f | head -n 1)")
        idldir=$tmp/root$(pkg-config --variable=idldir dcom | sed "s|^$tmp/root||")
        [ -f "$idldir/unknwn.idl" ] || { echo "check-install: unknwn.idl not installed" >&2; exit 1; }
        mkdir "$tmp/calc"
        "$bindir/dcomidl" -I "$idldir" -o "$tmp/calc" "$calc_dir/calc.idl"
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -shared -fPIC -I"$tmp/calc" -o "$tmp/calc/calc.so" \
                "$calc_dir/calc-component.c" "$tmp/calc/calc_i.c" $flags
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -I"$tmp/calc" -o "$tmp/calc/calc-client" \
                "$calc_dir/calc-client.c" "$tmp/calc/calc_i.c" $flags
        export OPENDCOM_ROOT="$tmp/calc-state" ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
        export LD_LIBRARY_PATH
        LD_LIBRARY_PATH=$(dirname "$libdir")
        "$bindir/regsvr" /s "$tmp/calc/calc.so"
        "$tmp/calc/calc-client" 40 2 | grep -qx '40 + 2 = 42' ||
                { echo "check-install: calc-client did not add up" >&2; exit 1; }
        "$bindir/regsvr" /u /s "$tmp/calc/calc.so"
        if "$tmp/calc/calc-client" 2>/dev/null; then
                echo "check-install: calc-client worked after regsvr /u" >&2
                exit 1
        fi
fi
# The DCOM example (a local server called through IDispatch, its client with COAUTHINFO)
# compiles and links against the installed tree too; running it needs rpcss and
# dcomlaunch (test-com-activation, test-interop-activation do).
dcom_dir=${calc_dir:+$(dirname "$calc_dir")/dcom}
if [ -n "$dcom_dir" ] && [ -d "$dcom_dir" ]; then
        mkdir "$tmp/dcom"
        "$bindir/dcomidl" -I "$idldir" -o "$tmp/dcom" "$dcom_dir/counter.idl"
        for p in counter-server counter-client; do
                # shellcheck disable=SC2086
                ${CC:-cc} -std=c11 -Wall -Werror -I"$tmp/dcom" -o "$tmp/dcom/$p" \
                        "$dcom_dir/$p.c" "$tmp/dcom/counter_i.c" $flags
        done
fi
echo "ok: installed library, headers and dcom.pc build and run $(basename "$prog") ${com_prog:+and $(basename "$com_prog")}${calc_dir:+, the calculator via dcomidl and regsvr, the DCOM example}"
