#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dcomdiag's man page (man/dcomdiag.1.scd, scdoc): scdoc turns it into a page that man
# renders without a warning, with the sections a man page needs, and every long option
# `dcomdiag --help` lists is described there (the two cannot drift apart).
# Skipped (77) without scdoc or man (scripts/install-deps installs scdoc).
#
#     test-dcomdiag-man.sh DCOMDIAG SOURCE.scd
set -u
diag=${1:?usage: test-dcomdiag-man.sh DCOMDIAG SOURCE.scd}
scd=${2:?usage: test-dcomdiag-man.sh DCOMDIAG SOURCE.scd}

for p in scdoc man; do
        if ! command -v $p >/dev/null 2>&1; then
                echo "SKIP: $p is not installed (scripts/install-deps)"
                exit 77
        fi
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {       # check WHAT CONDITION-STATUS [DETAIL]
        if [ "$2" -eq 0 ]; then
                echo "ok - $1"
        else
                echo "FAIL - $1 ${3:-}"
                failures=$((failures + 1))
        fi
}

scdoc <"$scd" >"$tmp/dcomdiag.1" 2>"$tmp/scdocerr"
check "scdoc accepts it" $? "$(cat "$tmp/scdocerr")"
# the brief's form, `scdoc < man/dcomdiag.1.scd | man -l -`, with man's warnings on
scdoc <"$scd" | LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l - >"$tmp/man" 2>"$tmp/manerr"
st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/manerr" ]
check "man renders it without warnings" $? "(status $st) $(cat "$tmp/manerr")"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -q "^$section\$" "$tmp/man"
        check "section $section" $?
done
"$diag" --help >"$tmp/help"
check "dcomdiag --help" $?
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u); do
        grep -qF -- "$opt" "$tmp/man"
        check "the man page describes $opt" $?
done
for code in 0 1 2 3; do
        grep -A1 "^EXIT STATUS" "$tmp/man" >/dev/null && grep -q "^       $code\$" "$tmp/man"
        check "the man page documents exit status $code" $?
done
echo "$failures failed"
[ $failures -eq 0 ]
