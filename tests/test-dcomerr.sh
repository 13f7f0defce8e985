#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# dcomerr driven as a user would: codes in every spelling, names, several arguments,
# unknown codes and bad usage, checking both the lines printed and the exit status.
#     test-dcomerr.sh PATH_TO_DCOMERR
set -u

dcomerr=${1:?usage: test-dcomerr.sh PATH_TO_DCOMERR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0

fail() {
        echo "FAIL: $*" >&2
        failed=$((failed + 1))
}

# run EXPECTED_STATUS ARGS... : runs dcomerr, keeps stdout and stderr in $tmp.
run() {
        want=$1
        shift
        "$dcomerr" "$@" >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" -ne "$want" ]; then
                fail "dcomerr $*: exit status $got, expected $want"
                sed 's/^/    stdout: /' "$tmp/out" >&2
                sed 's/^/    stderr: /' "$tmp/err" >&2
                return 1
        fi
        passed=$((passed + 1))
        return 0
}

# has FILE LINE : FILE has exactly this line.
has() {
        if ! grep -qxF -- "$2" "$tmp/$1"; then
                fail "$what: $1 lacks the line: $2"
                sed "s/^/    $1: /" "$tmp/$1" >&2
        fi
}

lines() {
        n=$(wc -l <"$tmp/$1" | tr -d ' ')
        [ "$n" -eq "$2" ] || fail "$what: $1 has $n lines, expected $2"
}

unavailable='The RPC server is unavailable.'

what='hex HRESULT'
run 0 0x800706BA && {
        has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"
        lines out 1
        lines err 0
}

what='lower-case hex'
run 0 0x800706ba && has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"

what='bare hex digits'
run 0 800706ba && has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"

what='decimal Win32 code'
run 0 1722 && {
        has out "1722  RPC_S_SERVER_UNAVAILABLE  $unavailable"
        has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"
        lines out 2
}

what='negative decimal HRESULT'
run 0 -2147023174 && {
        has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"
        lines out 1
}

what='name'
run 0 RPC_S_SERVER_UNAVAILABLE && {
        has out "1722  RPC_S_SERVER_UNAVAILABLE  $unavailable"
        has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"
}

what='name in another case'
run 0 rpc_s_server_unavailable && has out "1722  RPC_S_SERVER_UNAVAILABLE  $unavailable"

what='HRESULT_FROM_WIN32(NAME)'
run 0 'HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)' && {
        has out "0x800706BA  HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)  $unavailable"
        lines out 1
}

what='HRESULT with a name of its own'
run 0 0x80070005 && {
        has out '0x80070005  E_ACCESSDENIED  Access is denied.'
        lines out 1
}

what='Win32 code whose HRESULT has a name'
run 0 ERROR_ACCESS_DENIED && {
        has out '5  ERROR_ACCESS_DENIED  Access is denied.'
        has out '0x80070005  E_ACCESSDENIED  Access is denied.'
        lines out 2
}

what='COM HRESULT'
run 0 0x80004002 && has out '0x80004002  E_NOINTERFACE  No such interface supported'

what='alias'
run 0 RPC_S_OK && {
        has out '0  ERROR_SUCCESS  The operation completed successfully.'
        has out '0x00000000  S_OK  The operation completed successfully.'
        lines out 2
}

what='zero'
run 0 0 && {
        has out '0x00000000  S_OK  The operation completed successfully.'
        has out '0  ERROR_SUCCESS  The operation completed successfully.'
        lines out 2
}

what='one (S_FALSE and ERROR_INVALID_FUNCTION)'
run 0 1 && {
        has out '0x00000001  S_FALSE  Incorrect function.'
        has out '1  ERROR_INVALID_FUNCTION  Incorrect function.'
        has out '0x80070001  HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)  Incorrect function.'
        lines out 3
}

what='NCA fault status'
run 0 0x1C010002 && {
        has out '0x1C010002  nca_s_op_rng_error  The operation number passed in the request PDU is greater than or equal to the number of operations in the interface.'
        lines out 1
}

what='NCA name'
run 0 nca_s_unk_if && has out '0x1C010003  nca_s_unk_if  The server does not export the requested interface.'

what='several arguments'
run 0 1722 E_FAIL 0x1C010003 && {
        has out "1722  RPC_S_SERVER_UNAVAILABLE  $unavailable"
        has out '0x80004005  E_FAIL  Unspecified error'
        has out '0x1C010003  nca_s_unk_if  The server does not export the requested interface.'
        lines out 4
}

what='unknown code'
run 1 0x8000FFFE && {
        lines out 0
        has err 'dcomerr: no status code 0x8000FFFE is known'
}

what='unknown name'
run 1 NO_SUCH_THING && has err 'dcomerr: no status code NO_SUCH_THING is known'

what='known and unknown together'
run 1 E_FAIL 0xDEADBEEF 1722 && {
        has out '0x80004005  E_FAIL  Unspecified error'
        has out "1722  RPC_S_SERVER_UNAVAILABLE  $unavailable"
        has err 'dcomerr: no status code 0xDEADBEEF is known'
        lines err 1
}

what='no arguments'
run 2 && has err 'Usage: dcomerr CODE|NAME...'

what='unknown option'
run 2 --frobnicate && lines out 0

what='out-of-range number'
run 2 0x123456789 && lines out 0

what='out-of-range negative number'
run 2 -2147483649 && lines out 0

what='bad usage prints no results'
run 2 E_FAIL --bogus && lines out 0

what='--help'
run 0 --help && {
        has out 'Usage: dcomerr CODE|NAME...'
        lines err 0
}

what='-h'
run 0 -h && has out 'Usage: dcomerr CODE|NAME...'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
