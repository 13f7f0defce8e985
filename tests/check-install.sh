#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `meson install` into a scratch DESTDIR, then build an outside program the way a user
# would -- `pkg-config --cflags --libs dcom` -- and run it against the installed
# libdcom.so.
#     check-install.sh BUILDDIR PROGRAM.c [OBJBASE-PROGRAM.c [CALC-EXAMPLE-DIR [WINRPC-DIR
#                      [PSDLL-DIR]]]]
# With the examples' directory (CALC-EXAMPLE-DIR's parent) it also builds and runs the RPC
# example (examples/hello) out of tree, with WINRPC-DIR a Windows SDK-shaped RPC
# program (tests/data/winrpc: the SDK's "Hello" sample as written for Windows, with its
# ACF), and with PSDLL-DIR a proxy/stub library built as a Windows project builds one
# (tests/data/psdll).
set -eu
build=$1
prog=$2
com_prog=${3:-}
calc_dir=${4:-}
winrpc_dir=${5:-}
psdll_dir=${6:-}
tmp=$(mktemp -d)
pids=""
cleanup() {
        for p in $pids; do kill "$p" 2>/dev/null || true; done
        for p in $pids; do wait "$p" 2>/dev/null || true; done
        rm -rf "$tmp"
}
trap cleanup EXIT

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
# The C++ example the same way, with c++: the component's classes derive from the
# generated interface, the client calls CoCreateInstance(__uuidof(Greeter), ...,
# IID_PPV_ARGS(&p)); DllRegisterServer writes its own path (GetModuleFileNameW).
cxx_dir=${calc_dir:+$(dirname "$calc_dir")/cxx}
if [ -n "$cxx_dir" ] && [ -d "$cxx_dir" ] && command -v c++ >/dev/null 2>&1; then
        g=$tmp/cxx
        mkdir "$g"
        "$bindir/dcomidl" -I "$idldir" -o "$g" "$cxx_dir/greeter.idl"
        # shellcheck disable=SC2046
        ${CC:-cc} -std=c11 -Wall -Werror -fPIC -c -o "$g/greeter_i.o" "$g/greeter_i.c" \
                $(pkg-config --cflags dcom)
        # shellcheck disable=SC2086
        c++ -std=c++11 -Wall -Wextra -Werror -shared -fPIC -I"$g" -o "$g/greeter.so" \
                "$cxx_dir/greeter-component.cc" "$g/greeter_i.o" $flags
        # shellcheck disable=SC2086
        c++ -std=c++11 -Wall -Wextra -Werror -I"$g" -o "$g/greeter-client" \
                "$cxx_dir/greeter-client.cc" "$g/greeter_i.o" $flags
        export OPENDCOM_ROOT="$tmp/cxx-state"
        "$bindir/regsvr" /s "$g/greeter.so"
        "$bindir/reg" query 'HKCR\CLSID\{3B0F6A2E-9C41-4D7A-8E15-6A2C9D0B7F40}\InprocServer32' 2>&1 |
                grep -q "$g/greeter.so" ||
                { echo "check-install: greeter.so did not register its own path" >&2; exit 1; }
        out=$("$g/greeter-client" world 'C++') ||
                { echo "check-install: greeter-client failed" >&2; exit 1; }
        [ "$out" = "$(printf 'Hello, world!\nHello, C++!\n2 greeting(s)')" ] ||
                { echo "check-install: greeter-client said '$out'" >&2; exit 1; }
        "$bindir/regsvr" /u /s "$g/greeter.so"
        if "$g/greeter-client" 2>/dev/null; then
                echo "check-install: greeter-client worked after regsvr /u" >&2
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
# The RPC example as a user builds it (README, DCE/RPC): dcomidl's MIDL-shaped stubs -- the
# server takes FOO_s.c, the client FOO_c.c -- and `pkg-config --cflags --libs dcom` only;
# the server on a dynamic loopback port, the client calling it over TCP and ncalrpc.
hello_dir=${calc_dir:+$(dirname "$calc_dir")/hello}
if [ -n "$hello_dir" ] && [ -d "$hello_dir" ]; then
        mkdir -p "$tmp/hello/s" "$tmp/hello/c"
        "$bindir/dcomidl" -o "$tmp/hello/s" --no-client "$hello_dir/hello.idl"
        "$bindir/dcomidl" -o "$tmp/hello/c" --no-server "$hello_dir/hello.idl"
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -I"$tmp/hello/s" -o "$tmp/hello/hello-server" \
                "$hello_dir/hello-server.c" "$tmp/hello/s/hello_s.c" $flags
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -I"$tmp/hello/c" -o "$tmp/hello/hello-client" \
                "$hello_dir/hello-client.c" "$tmp/hello/c/hello_c.c" $flags
        export OPENDCOM_ROOT="$tmp/hello-state"
        mkfifo "$tmp/hello/out"
        "$tmp/hello/hello-server" --port 0 --listen 127.0.0.1 >"$tmp/hello/out" 2>/dev/null &
        pids="$pids $!"
        read -r line <"$tmp/hello/out" || true
        port=$(printf '%s\n' "$line" | sed -n 's/.*ncacn_ip_tcp:127.0.0.1\[\([0-9]*\)\].*/\1/p')
        lrpc=$(printf '%s\n' "$line" | sed -n 's/.*ncalrpc:\[\([^]]*\)\].*/\1/p')
        [ -n "$port" ] && [ -n "$lrpc" ] ||
                { echo "check-install: hello-server did not start: '$line'" >&2; exit 1; }
        for sb in "ncacn_ip_tcp:127.0.0.1[$port]" "ncalrpc:[$lrpc]"; do
                out=$("$tmp/hello/hello-client" "$sb" install) ||
                        { echo "check-install: hello-client $sb failed" >&2; exit 1; }
                printf '%s\n' "$out" | grep -q '^Hello, install! (from hello-server' &&
                        printf '%s\n' "$out" | grep -qx '40 + 2 = 42' ||
                        { echo "check-install: hello-client $sb said '$out'" >&2; exit 1; }
        done
fi
# A Windows RPC program as the SDK writes it (<windows.h>, <rpc.h>, RpcServerUseProtseqEp,
# RpcServerRegisterIf(hello_v1_0_s_ifspec, NULL, NULL), RpcServerListen; the client:
# RpcStringBindingCompose, RpcBindingFromStringBinding, RpcTryExcept), unchanged:
# -Wno-pointer-sign only, for MSVC's unsigned char string literals.
if [ -n "$winrpc_dir" ]; then
        mkdir -p "$tmp/winrpc/s" "$tmp/winrpc/c"
        "$bindir/dcomidl" -o "$tmp/winrpc/s" --no-client "$winrpc_dir/hello.idl"
        "$bindir/dcomidl" -o "$tmp/winrpc/c" --no-server "$winrpc_dir/hello.idl"
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Wno-pointer-sign -Werror -I"$tmp/winrpc/s" -o "$tmp/winrpc/hellos" \
                "$winrpc_dir/hellos.c" "$tmp/winrpc/s/hello_s.c" $flags
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Wno-pointer-sign -Werror -I"$tmp/winrpc/c" -o "$tmp/winrpc/helloc" \
                "$winrpc_dir/helloc.c" "$tmp/winrpc/c/hello_c.c" $flags
        export OPENDCOM_ROOT="$tmp/winrpc-state" OPENDCOM_RPC_LISTEN=127.0.0.1
        mkfifo "$tmp/winrpc/out"
        for try in 1 2 3 4 5; do
                wport=$(( 20000 + ($$ * 7 + try * 1009) % 40000 ))
                "$tmp/winrpc/hellos" "$wport" >"$tmp/winrpc/out" 2>&1 &
                spid=$!
                read -r line <"$tmp/winrpc/out" || true
                [ "$line" = "listening on $wport" ] && break
                wait "$spid" 2>/dev/null || true      # the port was taken: another one
        done
        [ "$line" = "listening on $wport" ] ||
                { echo "check-install: hellos did not start: '$line'" >&2; exit 1; }
        exec 8<"$tmp/winrpc/out"
        pids="$pids $spid"
        "$tmp/winrpc/helloc" 127.0.0.1 "$wport" ||
                { echo "check-install: helloc failed ($?)" >&2; exit 1; }
        read -r said <&8 || true
        [ "$said" = "hello, world" ] ||
                { echo "check-install: hellos printed '$said'" >&2; exit 1; }
        # Shutdown made RpcServerListen return: the server ends by itself
        wait "$spid" || { echo "check-install: hellos exited with $?" >&2; exit 1; }
        exec 8<&-
fi
# A proxy/stub library as a Windows project builds one: dcomidl (midl) with --dlldata,
# FILE_p.c + FILE_i.c + dlldata.c compiled with -DREGISTER_PROXY_DLL into a shared
# library, registered with regsvr; a program that links none of it calls an object in
# another apartment through it -- and finds no proxy before regsvr or after regsvr /u.
if [ -n "$psdll_dir" ]; then
        ps=$tmp/psdll
        mkdir -p "$ps"
        "$bindir/dcomidl" -I "$idldir" -o "$ps" --dlldata dlldata.c "$psdll_dir/widget.idl"
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -shared -fPIC -DREGISTER_PROXY_DLL -I"$ps" \
                -o "$ps/widgetps.so" "$ps/widget_p.c" "$ps/widget_i.c" "$ps/dlldata.c" $flags
        # shellcheck disable=SC2086
        ${CC:-cc} -std=c11 -Wall -Werror -I"$ps" -o "$ps/widget-user" \
                "$psdll_dir/widget-user.c" "$ps/widget_i.c" $flags -lpthread
        export OPENDCOM_ROOT="$tmp/psdll-state"
        rc=0
        "$ps/widget-user" >/dev/null || rc=$?
        [ "$rc" -eq 1 ] || { echo "check-install: widget-user without its library: $rc" >&2; exit 1; }
        "$bindir/regsvr" /s "$ps/widgetps.so" ||
                { echo "check-install: regsvr widgetps.so failed ($?)" >&2; exit 1; }
        "$ps/widget-user" | grep -q '^widget-user: Scale(14) = 42' ||
                { echo "check-install: widget-user did not call through widgetps.so" >&2; exit 1; }
        "$bindir/regsvr" /u /s "$ps/widgetps.so" ||
                { echo "check-install: regsvr /u widgetps.so failed ($?)" >&2; exit 1; }
        rc=0
        "$ps/widget-user" >/dev/null || rc=$?
        [ "$rc" -eq 1 ] || { echo "check-install: widget-user after regsvr /u: $rc" >&2; exit 1; }
fi
echo "ok: installed library, headers and dcom.pc build and run $(basename "$prog") ${com_prog:+and $(basename "$com_prog")}${calc_dir:+, the calculator via dcomidl and regsvr, the C++ example, the DCOM example, the RPC example}${winrpc_dir:+, a Windows SDK RPC program}${psdll_dir:+, a proxy/stub library}"
