#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The stub generator's refusals as golden cases: each tests/dcomidl/stub-errors/NAME.idl
# holds one construct dcomidl must refuse (the "Refused" list of
# tools/dcomidl/stubs-internal.h) and NAME.err the exact lines dcomidl prints for it.
# Each compiles with client and server stubs; it must fail with status 1, print exactly
# NAME.err on stderr and leave no stub behind (a generation error, never unsafe code).
#     test-dcomidl-stub-errors.sh PATH_TO_DCOMIDL CASES_DIR
set -u

dcomidl=${1:?usage: test-dcomidl-stub-errors.sh PATH_TO_DCOMIDL CASES_DIR}
cases=${2:?usage: test-dcomidl-stub-errors.sh PATH_TO_DCOMIDL CASES_DIR}
case $dcomidl in /*) ;; *) dcomidl=$PWD/$dcomidl ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0

fail() {
        echo "FAIL: $*" >&2
        failed=$((failed + 1))
}

# The messages name the file as given: compile from the cases' directory.
cd "$cases" || exit 1
for idl in *.idl; do
        name=${idl%.idl}
        if [ ! -f "$name.err" ]; then
                fail "$idl: no $name.err"
                continue
        fi
        out=$tmp/$name
        mkdir "$out"
        "$dcomidl" -o "$out" --no-header --no-iid --client --server "$idl" 2>"$out.stderr" \
                >"$out.stdout"
        status=$?
        ok=1
        if [ "$status" -ne 1 ]; then
                fail "$idl: exit status $status, expected 1"
                ok=0
        fi
        if ! diff -u "$name.err" "$out.stderr" >"$out.diff"; then
                fail "$idl: messages differ from $name.err"
                sed 's/^/    /' "$out.diff" >&2
                ok=0
        fi
        if [ -n "$(ls -A "$out")" ]; then
                fail "$idl: dcomidl left files behind: $(ls -A "$out" | tr '\n' ' ')"
                ok=0
        fi
        [ "$ok" -eq 1 ] && passed=$((passed + 1))
done
for err in *.err; do
        [ -f "${err%.err}.idl" ] || fail "$err: no ${err%.err}.idl"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
