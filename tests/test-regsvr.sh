#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# regsvr driven as a user would: register and unregister a test component (checked
# with `reg query`), /i with and without a command line, /n, /s, and regsvr32's exit
# codes -- 1 bad command line, 3 library fails to load, 4 entry point missing, 5 the
# entry point fails -- with their messages.  Each run of regsvr gets a fresh registry
# (OPENDCOM_ROOT=$(mktemp -d)) unless a case needs the previous state.
#     test-regsvr.sh REGSVR REG COMPONENT.so FAILING.so NOEXPORTS.so
set -u

abspath() {
        case $1 in
        /*) echo "$1" ;;
        *) echo "$(pwd)/$1" ;;
        esac
}

regsvr=$(abspath "${1:?usage: test-regsvr.sh REGSVR REG COMPONENT.so FAILING.so NOEXPORTS.so}")
reg=$(abspath "${2:?}")
component=$(abspath "${3:?}")
failing=$(abspath "${4:?}")
noexports=$(abspath "${5:?}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
what=

CLSID_KEY='HKCR\CLSID\{6F1C0A5E-2B7D-4E3A-9C61-0D5E8F7A1B2C}'

fail() {
        echo "FAIL: $what: $*" >&2
        failed=$((failed + 1))
}

# fresh : a new, empty registry for what follows.
fresh() {
        OPENDCOM_ROOT=$(mktemp -d "$tmp/root.XXXXXX")
        export OPENDCOM_ROOT
}

# run EXPECTED_STATUS ARGS... : runs regsvr; stdout and stderr go to $tmp/out, $tmp/err.
run() {
        want=$1
        shift
        "$regsvr" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" -ne "$want" ]; then
                fail "regsvr $*: exit status $got, expected $want"
                sed 's/^/    stdout: /' "$tmp/out" >&2
                sed 's/^/    stderr: /' "$tmp/err" >&2
                return 1
        fi
        passed=$((passed + 1))
        return 0
}

# expect FILE : FILE (out or err) is exactly stdin.
expect() {
        cat >"$tmp/want"
        if ! cmp -s "$tmp/want" "$tmp/$1"; then
                fail "$1 differs from what was expected:"
                diff -u "$tmp/want" "$tmp/$1" | sed 's/^/    /' >&2
        fi
}

empty() {
        [ -s "$tmp/$1" ] && { fail "$1 is not empty:"; sed 's/^/    /' "$tmp/$1" >&2; }
        return 0
}

# contains FILE TEXT : FILE has a line containing TEXT.
contains() {
        grep -qF -- "$2" "$tmp/$1" || { fail "$1 lacks \"$2\":"; sed 's/^/    /' "$tmp/$1" >&2; }
}

# query KEY : reg query KEY /s into $tmp/q; its exit status.
query() {
        "$reg" query "$1" /s >"$tmp/q" 2>&1
}

registered() {
        query "$CLSID_KEY" || { fail "$CLSID_KEY is missing"; return 1; }
        expect q <<EOF

$(echo "$CLSID_KEY" | sed 's/^HKCR/HKEY_CLASSES_ROOT/')\\InprocServer32
    (Default)    REG_SZ    $(realpath "$component")
    ThreadingModel    REG_SZ    Both

$(echo "$CLSID_KEY" | sed 's/^HKCR/HKEY_CLASSES_ROOT/')\\ProgID
    (Default)    REG_SZ    OpenDCOM.RegsvrTest

EOF
        "$reg" query 'HKCR\OpenDCOM.RegsvrTest\CLSID' /ve >"$tmp/q" 2>&1 ||
                fail "ProgID key missing"
        contains q '{6F1C0A5E-2B7D-4E3A-9C61-0D5E8F7A1B2C}'
}

unregistered() {
        query "$CLSID_KEY" && fail "$CLSID_KEY is still there"
        query 'HKCR\OpenDCOM.RegsvrTest' && fail "the ProgID is still there"
        return 0
}

# ---- register and unregister ---------------------------------------------------------

fresh
what='register'
run 0 "$component" && expect out <<EOF
DllRegisterServer in $component succeeded.
EOF
empty err
registered

what='register again (idempotent)'
run 0 "$component" && registered

what='unregister'
run 0 /u "$component" && expect out <<EOF
DllUnregisterServer in $component succeeded.
EOF
empty err
unregistered

what='unregister with -U (either prefix, any case), nothing registered'
run 0 -U "$component" && unregistered

what='silent register: no output'
fresh
run 0 /s "$component" && empty out && empty err
registered
what='silent unregister, /s after the library'
run 0 /u "$component" /S && empty out && empty err
unregistered

what='a bare file name is looked up in the current directory'
fresh
(cd "$(dirname "$component")" && "$regsvr" /s "$(basename "$component")") ||
        fail "exit status $?"
registered

# ---- /i and /n -----------------------------------------------------------------------

what='/i: DllRegisterServer, then DllInstall(TRUE, NULL)'
fresh
run 0 /i "$component" && expect out <<EOF
DllRegisterServer and DllInstall in $component succeeded.
EOF
registered
"$reg" query 'HKCR\OpenDCOM.RegsvrTest.Install' /ve >"$tmp/q" 2>&1 || fail "DllInstall not called"
contains q '(null)'

what='/n /i:cmdline: DllInstall only, with the command line as UTF-16'
fresh
run 0 /n '/i:user, späť' "$component" && expect out <<EOF
DllInstall in $component succeeded.
EOF
unregistered
"$reg" query 'HKCR\OpenDCOM.RegsvrTest.Install' /ve >"$tmp/q" 2>&1 || fail "DllInstall not called"
contains q 'user, späť'

what='/u /n /i: DllInstall(FALSE) only'
run 0 /u /n /i:user "$component" && expect out <<EOF
DllInstall in $component succeeded.
EOF
query 'HKCR\OpenDCOM.RegsvrTest.Install' && fail "DllInstall(FALSE) not called"

what='/u /i: DllInstall(FALSE), then DllUnregisterServer'
fresh
run 0 /i:x "$component" && registered
run 0 /u /i:x "$component" && expect out <<EOF
DllInstall and DllUnregisterServer in $component succeeded.
EOF
unregistered
query 'HKCR\OpenDCOM.RegsvrTest.Install' && fail "DllInstall(FALSE) not called"

# ---- command-line errors: exit 1 -----------------------------------------------------

fresh
what='no library'
run 1 && contains err 'To register a module, you must provide a binary name.' && empty out
what='only switches'
run 1 /u /s && empty out && empty err
what='unknown switch'
run 1 /x "$component" && contains err 'Unrecognized flag: /x' && contains err 'Usage: regsvr'
what='unknown dash switch'
run 1 --frob "$component" && contains err 'Unrecognized flag: --frob'
what='/n without /i'
run 1 /n "$component" && contains err '/n must be used with /i'
unregistered
what='help'
run 0 '/?' && contains out 'Usage: regsvr' && empty err

# ---- load failures: exit 3 -----------------------------------------------------------

what='missing library'
run 3 "$tmp/nonexistent.so" && expect err <<EOF
The module "$tmp/nonexistent.so" failed to load.

Make sure the binary is stored at the specified path or debug it to check for problems with the binary or dependent .so files.

$tmp/nonexistent.so: cannot open shared object file: No such file or directory
EOF
empty out
what='not a shared library'
echo 'not an ELF file' >"$tmp/bogus.so"
run 3 "$tmp/bogus.so" && contains err "The module \"$tmp/bogus.so\" failed to load."
what='silent load failure'
run 3 /s "$tmp/bogus.so" && empty out && empty err

# ---- missing entry points: exit 4 ----------------------------------------------------

what='no DllRegisterServer'
run 4 "$noexports" && expect err <<EOF
The module "$noexports" was loaded but the entry-point DllRegisterServer was not found.

Make sure that "$noexports" is a valid COM component and then try again.
EOF
empty out
what='no DllUnregisterServer'
run 4 /u "$noexports" && contains err 'the entry-point DllUnregisterServer was not found'
what='no DllInstall'
run 4 /n /i "$failing" && contains err 'the entry-point DllInstall was not found'

# ---- failing entry points: exit 5 ----------------------------------------------------

what='DllRegisterServer fails'
run 5 "$failing" && expect err <<EOF
The module "$failing" was loaded but the call to DllRegisterServer failed with error code 0x80004005 (Unspecified error).

For more information about this problem, run: dcomerr 0x80004005
EOF
empty out
what='DllUnregisterServer fails, silently'
run 5 /u /s "$failing" && empty out && empty err

what='several libraries: stops at the first failure'
fresh
run 5 "$failing" "$component" && unregistered
run 0 "$component" "$component" && registered
[ "$(grep -c 'succeeded' "$tmp/out")" -eq 2 ] || fail "expected two success lines"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
