#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dcomidl, driven as a user would: golden outputs for tests/dcomidl/*.idl (regenerated
# and diffed), one compile-error test per class of mistake (exact first diagnostic line,
# exit status 1, no output written), the opnum limit, the command line, the depfile,
# and the generated headers compiled as C11 and C++ with warnings as errors.
# Usage: test-dcomidl.sh DCOMIDL IDL_DIR INCLUDE_DIR "CC..." [C++]
set -u

DCOMIDL=$1
IDL_DIR=$2
INC_DIR=$3
CC=$4
CXX=${5:-}
BUILD_INC=${TEST_BUILD_DIR:-.}/include
case $DCOMIDL in /*) ;; *) DCOMIDL=$PWD/$DCOMIDL ;; esac
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
n=0

fail() {
        echo "FAIL: $*"
        fails=$((fails + 1))
}
ok() {
        n=$((n + 1))
}

# --- golden outputs ---
for idl in "$IDL_DIR"/*.idl; do
        base=$(basename "$idl" .idl)
        mkdir -p "$TMP/gold"
        if ! (cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/gold" --no-stubs "$base.idl"); then
                fail "$base.idl does not compile"
                continue
        fi
        for out in "$base.h" "${base}_i.c"; do
                if diff -u "$IDL_DIR/$out.golden" "$TMP/gold/$out"; then
                        ok
                else
                        fail "$out differs from $out.golden"
                fi
        done
done

# --- compile errors: exact first line, exit 1, nothing written ---
for idl in "$IDL_DIR"/errors/*.idl; do
        base=$(basename "$idl" .idl)
        out="$TMP/err-$base"
        mkdir -p "$out"
        (cd "$IDL_DIR/errors" && "$DCOMIDL" -o "$out" --depfile "$out/dep.d" "$base.idl") \
                2>"$TMP/stderr" >/dev/null
        rc=$?
        want=$(cat "$IDL_DIR/errors/$base.err")
        got=$(head -n 1 "$TMP/stderr")
        if [ "$rc" -ne 1 ]; then
                fail "$base.idl: exit status $rc, expected 1"
        elif [ "$got" != "$want" ]; then
                fail "$base.idl: got '$got', expected '$want'"
        elif [ -n "$(ls -A "$out")" ]; then
                fail "$base.idl: output written despite the error: $(ls "$out")"
        else
                ok
        fi
done

# --- --tlb: what a type library cannot say is refused by name, nothing written ---
for idl in "$IDL_DIR"/tlb-errors/*.idl; do
        base=$(basename "$idl" .idl)
        out="$TMP/tlberr-$base"
        mkdir -p "$out"
        (cd "$IDL_DIR/tlb-errors" && "$DCOMIDL" -o "$out" --tlb "$base.tlb" "$base.idl") \
                2>"$TMP/stderr" >/dev/null
        rc=$?
        want=$(cat "$IDL_DIR/tlb-errors/$base.err")
        got=$(head -n 1 "$TMP/stderr")
        if [ "$rc" -ne 1 ]; then
                fail "tlb-errors/$base.idl: exit status $rc, expected 1"
        elif [ "$got" != "$want" ]; then
                fail "tlb-errors/$base.idl: got '$got', expected '$want'"
        elif [ "$(wc -l < "$TMP/stderr")" -ne 1 ]; then
                fail "tlb-errors/$base.idl: more than the one error: $(cat "$TMP/stderr")"
        elif [ -n "$(ls -A "$out")" ]; then
                fail "tlb-errors/$base.idl: output written despite the error: $(ls "$out")"
        else
                ok
        fi
done

# --- the ACF beside the IDL (acf/ping.acf): implicit and explicit handles, encode ---
mkdir -p "$TMP/acf" "$TMP/noacf"
if (cd "$IDL_DIR/acf" && "$DCOMIDL" -o "$TMP/acf" ping.idl); then
        a=$TMP/acf
        grep -qx 'extern handle_t Ping_Binding;' "$a/ping.h" && ok || fail "acf: no extern implicit handle"
        grep -qx 'LONG Echo(LONG v);' "$a/ping.h" && ok || fail "acf: Echo's prototype"
        grep -qx 'LONG Count(handle_t IDL_handle);' "$a/ping.h" && ok || fail "acf: explicit_handle"
        grep -qx 'LONG Direct(handle_t h, LONG v);' "$a/ping.h" && ok || fail "acf: Direct changed"
        grep -q '^handle_t Ping_Binding;' "$a/ping_c.c" && ok || fail "acf: implicit handle not defined"
        grep -A3 '^LONG Echo(LONG v) {' "$a/ping_c.c" | grep -q 'h_ = Ping_Binding;' && ok ||
                fail "acf: Echo does not bind through Ping_Binding"
        grep -q '^int PingRecord_Encode' "$a/ping_c.c" && ok || fail "acf: typedef [encode]"
        # shellcheck disable=SC2086
        if echo '#include "ping.h"' | $CC -std=c11 -Wall -Werror -fsyntax-only -I"$a" -I"$INC_DIR" \
                -I"$INC_DIR/win" -I"$BUILD_INC" -I"$BUILD_INC/win" -x c - 2>"$TMP/stderr"; then ok; else
                fail "acf: ping.h does not compile: $(head -n 3 "$TMP/stderr")"; fi
else
        fail "acf/ping.idl with its ACF does not compile"
fi
mkdir -p "$TMP/acfctx"
if (cd "$IDL_DIR/acf" && "$DCOMIDL" -o "$TMP/acfctx" --no-client ctx.idl); then
        c=$TMP/acfctx/ctx.h
        grep -qx 'LONG Open(handle_t IDL_handle, PCTX \*h);' "$c" &&
                grep -qx 'LONG Use(PCTX h, LONG v);' "$c" &&
                grep -qx 'LONG Plain(handle_t IDL_handle, LONG v);' "$c" && ok ||
                fail "acf: explicit_handle beside context handles: $(grep '^LONG' "$c")"
else
        fail "acf/ctx.idl with its ACF does not compile"
fi
(cd "$IDL_DIR/acf" && "$DCOMIDL" -o "$TMP/noacf" --no-acf ping.idl) &&
        ! grep -q 'Ping_Binding' "$TMP/noacf/ping.h" && ok || fail "--no-acf read the ACF"
(cd "$IDL_DIR/acf" && "$DCOMIDL" -o "$TMP/noacf" --acf "$TMP/none.acf" ping.idl) 2>"$TMP/stderr"
[ $? -eq 1 ] && grep -q "cannot read .*none.acf" "$TMP/stderr" && ok || fail "--acf missing file"

# --- opnum overflow: 65536 methods including the inherited one ---
{
        echo '[object, local, uuid(00000000-0000-0000-C000-000000000046)]'
        echo 'interface IUnknown { ULONG AddRef(void); }'
        echo '[object, uuid(11111111-2222-3333-4444-555555555559)]'
        echo 'interface IHuge : IUnknown {'
        i=0
        while [ $i -lt 65535 ]; do
                echo "HRESULT M$i(void);"
                i=$((i + 1))
        done
        echo '}'
} > "$TMP/huge.idl"
mkdir -p "$TMP/huge"
(cd "$TMP" && "$DCOMIDL" -o "$TMP/huge" huge.idl) 2>"$TMP/stderr"
rc=$?
want="huge.idl:4:11: error: interface 'IHuge' has 65536 methods including inherited ones; opnums stop at 65535"
if [ $rc -eq 1 ] && [ "$(head -n 1 "$TMP/stderr")" = "$want" ] && [ -z "$(ls -A "$TMP/huge")" ]; then
        ok
else
        fail "opnum overflow: rc=$rc: $(head -n 1 "$TMP/stderr")"
fi

# --- command line ---
"$DCOMIDL" --help | grep -q '^Usage: dcomidl' && ok || fail "--help"
"$DCOMIDL" --frobnicate x.idl 2>"$TMP/stderr"
[ $? -eq 1 ] && grep -q "unknown option '--frobnicate'" "$TMP/stderr" && ok || fail "unknown option"
"$DCOMIDL" "$TMP/no-such.idl" 2>"$TMP/stderr"
[ $? -eq 1 ] && grep -q "cannot read .*no-such.idl" "$TMP/stderr" && ok || fail "missing file"
"$DCOMIDL" -o 2>"$TMP/stderr"
[ $? -eq 1 ] && grep -q "option -o needs an argument" "$TMP/stderr" && ok || fail "missing argument"
"$DCOMIDL" 2>"$TMP/stderr"
[ $? -eq 1 ] && grep -q "no input file" "$TMP/stderr" && ok || fail "no input"

# --no-header / --iid-file FILE / -h FILE / depfile
mkdir -p "$TMP/opt"
(cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/opt" --no-iid -h my.h --depfile "$TMP/opt/calc.d" calc.idl)
[ -f "$TMP/opt/my.h" ] && [ ! -f "$TMP/opt/calc_i.c" ] && ok || fail "-h / --no-iid"
grep -q "unknwn.idl" "$TMP/opt/calc.d" && grep -q "calc.idl" "$TMP/opt/calc.d" && ok ||
        fail "depfile lacks the import"
mkdir -p "$TMP/opt2"
(cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/opt2" --no-header --iid --iid-file guids.c calc.idl)
[ -f "$TMP/opt2/guids.c" ] && [ ! -f "$TMP/opt2/calc.h" ] && ok || fail "--no-header / --iid-file"

# -D reaches the preprocessor
printf '#ifdef WITH_X\ntypedef LONG X_T;\n#endif\n' > "$TMP/d.idl"
mkdir -p "$TMP/d"
"$DCOMIDL" -D WITH_X -o "$TMP/d" "$TMP/d.idl" && grep -q "typedef LONG X_T;" "$TMP/d/d.h" && ok ||
        fail "-D"

# --- stubs by default, as midl: _c.c/_s.c for RPC interfaces, _p.c for object ones ---
mkdir -p "$TMP/def" "$TMP/nostubs"
if (cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/def" stub.idl && "$DCOMIDL" -o "$TMP/def" obj.idl) &&
   [ -s "$TMP/def/stub_c.c" ] && [ -s "$TMP/def/stub_s.c" ] && [ -s "$TMP/def/stub_stub.h" ] &&
   [ ! -e "$TMP/def/stub_p.c" ] && [ -s "$TMP/def/obj_p.c" ] && [ ! -e "$TMP/def/obj_c.c" ]; then
        ok
else
        fail "default outputs"
fi
if (cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/nostubs" --no-stubs stub.idl) &&
   [ "$(ls "$TMP/nostubs")" = "$(printf 'stub.h\nstub_i.c')" ]; then
        ok
else
        fail "--no-stubs"
fi
# a function pointer cannot be remoted: an error naming the parameter, nothing written
mkdir -p "$TMP/fp"
if (cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/fp" disp.idl) 2>"$TMP/stderr"; then
        fail "disp.idl's callback parameter was accepted for stubs"
elif grep -q "disp.idl:40:90: error: stubs: parameter 'cb'" "$TMP/stderr" && [ -z "$(ls "$TMP/fp")" ]; then
        ok
else
        fail "disp.idl's stub error: $(cat "$TMP/stderr")"
fi
# an interface defined inside another is refused (MIDL and widl: declarations only)
mkdir -p "$TMP/nested"
printf '[object, uuid(00000019-0000-0000-C000-000000000047)]\ninterface IA\n{\n%s\n%s\n}\n' \
        '  [object, uuid(00000019-0000-0000-C000-000000000048)] interface IB { void f(void); }' \
        '  void g(void);' > "$TMP/nested.idl"
if "$DCOMIDL" -o "$TMP/nested" --no-stubs "$TMP/nested.idl" 2>"$TMP/stderr"; then
        fail "an interface inside an interface was accepted"
elif grep -q "nested.idl:4:.*error: 'IB' cannot be defined inside interface 'IA'" "$TMP/stderr" &&
     [ -z "$(ls "$TMP/nested")" ]; then
        ok
else
        fail "nested interface: $(cat "$TMP/stderr")"
fi
printf '[uuid(00000019-0000-0000-C000-000000000049)]\ncoclass C\n{\n%s\n}\n' \
        '  [object, uuid(00000019-0000-0000-C000-000000000048)] interface IB { void f(void); }' \
        > "$TMP/nested2.idl"
if "$DCOMIDL" -o "$TMP/nested" --no-stubs "$TMP/nested2.idl" 2>"$TMP/stderr"; then
        fail "an interface inside a coclass was accepted"
elif grep -q "error: 'IB' cannot be defined inside coclass 'C'" "$TMP/stderr"; then
        ok
else
        fail "nested in a coclass: $(cat "$TMP/stderr")"
fi

# --- the generated headers compile as C11 and C++ ---
# (an RPC interface's header includes <rpc.h>: the Windows headers, and the generated
# <dcom/winerror.h> of the build tree)
printf '#define COBJMACROS\n#include "calc.h"\n#include "types.h"\n#include "unknwn.h"\n#include "disp.h"\n' \
        > "$TMP/use.c"
# shellcheck disable=SC2086
if $CC -std=c11 -Wall -Wextra -pedantic -Werror -I "$INC_DIR" -I "$INC_DIR/win" -I "$BUILD_INC" -I "$TMP/gold" \
        -c "$TMP/use.c" -o "$TMP/use.o" &&
   $CC -std=c11 -Wall -Wextra -pedantic -Werror -I "$INC_DIR" \
        -c "$TMP/gold/calc_i.c" -o "$TMP/calc_i.o"; then
        ok
else
        fail "generated headers do not compile as C11"
fi
if [ -n "$CXX" ]; then
        cp "$TMP/use.c" "$TMP/use.cpp"
        if "$CXX" -std=c++11 -Wall -Wextra -pedantic -Werror -I "$INC_DIR" -I "$INC_DIR/win" -I "$BUILD_INC" -I "$TMP/gold" \
                -c "$TMP/use.cpp" -o "$TMP/usepp.o" &&
           "$CXX" -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I "$INC_DIR" \
                -c "$TMP/gold/calc_i.c" -o "$TMP/calc_ipp.o"; then
                ok
        else
                fail "generated headers do not compile as C++"
        fi
else
        echo "note: no C++ compiler, C++ check skipped"
fi

# --- --dlldata (midl's /dlldata): one list for a proxy/stub library ---
# Each IDL file compiled with the same --dlldata joins the list (sorted, once each); what an
# existing file lists is kept if it is a C identifier; the files compile against the
# installed headers only, with and without REGISTER_PROXY_DLL and PROXY_CLSID_IS.
mkdir -p "$TMP/dd"
printf '/* old */\nREFERENCE_PROXY_FILE( kept_1 ),\nREFERENCE_PROXY_FILE(not an id),\nREFERENCE_PROXY_FILE($bad)\n' \
        > "$TMP/dd/dlldata.c"
if (cd "$IDL_DIR" && "$DCOMIDL" -o "$TMP/dd" --dlldata dlldata.c obj.idl &&
    "$DCOMIDL" -o "$TMP/dd" --dlldata dlldata.c calc.idl &&
    "$DCOMIDL" -o "$TMP/dd" --dlldata dlldata.c obj.idl); then
        got=$(grep REFERENCE_PROXY_FILE "$TMP/dd/dlldata.c" | tr -d ' ' | tr '\n' ' ')
        want='REFERENCE_PROXY_FILE(calc), REFERENCE_PROXY_FILE(kept_1), REFERENCE_PROXY_FILE(obj), '
        if [ "$got" = "$want" ] && grep -qx 'EXTERN_PROXY_FILE(obj)' "$TMP/dd/dlldata.c" &&
           grep -qx 'DLLDATA_ROUTINES(aProxyFileList, GET_DLL_CLSID)' "$TMP/dd/dlldata.c"; then
                ok
        else
                fail "--dlldata: list is '$got'"
        fi
        grep -q '^const ProxyFileInfo obj_ProxyFileInfo = {' "$TMP/dd/obj_p.c" && ok ||
                fail "--dlldata: obj_p.c has no obj_ProxyFileInfo"
        sed -i 's/REFERENCE_PROXY_FILE(kept_1),//; /EXTERN_PROXY_FILE(kept_1)/d' "$TMP/dd/dlldata.c"
        ddok=1
        for defs in "" "-DREGISTER_PROXY_DLL" \
                    "-DREGISTER_PROXY_DLL -DPROXY_CLSID_IS={0x1,0x2,0x3,{0,1,2,3,4,5,6,7}}"; do
                # shellcheck disable=SC2086
                $CC -std=c11 -Wall -Wextra -pedantic -Werror -Wmissing-prototypes $defs \
                        -I "$INC_DIR" -I "$INC_DIR/win" -I "$BUILD_INC" -I "$BUILD_INC/win" \
                        -I "$TMP/dd" -c "$TMP/dd/dlldata.c" -o "$TMP/dd/dlldata.o" || ddok=0
        done
        for f in obj_p.c calc_p.c; do
                # shellcheck disable=SC2086
                $CC -std=c11 -Wall -Wextra -pedantic -Werror -Wno-unused-parameter \
                        -I "$INC_DIR" -I "$INC_DIR/win" -I "$BUILD_INC" -I "$BUILD_INC/win" \
                        -I "$TMP/dd" -c "$TMP/dd/$f" -o "$TMP/dd/$f.o" || ddok=0
        done
        [ $ddok -eq 1 ] && ok || fail "--dlldata: dlldata.c or FILE_p.c does not compile on installed headers"
else
        fail "--dlldata: dcomidl failed"
fi

# --- [local] methods through a proxy: without [call_as] E_NOTIMPL, 0, or nothing (void);
#     with it, inherited, the application's proxy with the local signature ---
mkdir -p "$TMP/loc"
cat > "$TMP/loc/loc.idl" <<'IDL'
import "unknwn.idl";
[object, uuid(6a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b)]
interface ILocals : IUnknown
{
        [local] void Forget(void);
        [local] ULONG Count(void);
        [local] HRESULT Local(void);
        HRESULT Remote([in] LONG v);
}
/* a [local] void method with its [call_as] wire form, inherited: the derived proxy's slot
   calls the application's ISink_OnClose_Proxy with its own (void) signature */
[object, uuid(6a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4c)]
interface ISink : IUnknown
{
        [local] void OnClose(void);
        [call_as(OnClose)] HRESULT RemoteOnClose(void);
}
[object, uuid(6a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4d)]
interface ISink2 : ISink
{
        HRESULT More(void);
}
IDL
if (cd "$TMP/loc" && "$DCOMIDL" -I "$IDL_DIR/../../idl" -o "$TMP/loc" loc.idl) 2>"$TMP/stderr" &&
   $CC -std=c11 -Wall -Wextra -pedantic -Werror -Wno-unused-parameter \
        -I "$INC_DIR" -I "$INC_DIR/win" -I "$BUILD_INC" -I "$BUILD_INC/win" \
        -I "$TMP/loc" -c "$TMP/loc/loc_p.c" -o "$TMP/loc/loc_p.o" 2>>"$TMP/stderr"; then
        ok
else
        fail "[local] methods: loc_p.c: $(grep error "$TMP/stderr" | head -n 2)"
fi

echo "$n checks passed, $fails failed"
[ $fails -eq 0 ]
