#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every man page (built from man/*.scd by scdoc) renders with man -l at 80 columns with
# nothing on stderr (man --warnings: groff's warnings too), fits in 80 columns, and has the
# sections a reader looks for: NAME, SYNOPSIS (programs' pages), DESCRIPTION, SEE ALSO, and
# EXIT STATUS for sections 1 and 8.
#     check-man.sh PAGE...
set -u
[ $# -gt 0 ] || { echo "usage: check-man.sh PAGE..." >&2; exit 2; }
command -v man >/dev/null 2>&1 || { echo "man is not installed (man-db): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
n=0
for page in "$@"; do
        name=$(basename "$page")
        n=$((n + 1))
        if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$tmp/out" 2>"$tmp/err"; then
                echo "FAIL: $name: man -l failed" >&2
                failed=$((failed + 1))
        fi
        if [ -s "$tmp/err" ]; then
                echo "FAIL: $name: man -l wrote to stderr:" >&2
                sed 's/^/    /' "$tmp/err" >&2
                failed=$((failed + 1))
        fi
        long=$(LC_ALL=C sed 's/[\xc0-\xf7][\x80-\xbf]*/X/g' "$tmp/out" | awk 'length($0) > 80 { print NR": "$0 }')
        if [ -n "$long" ]; then
                echo "FAIL: $name: lines wider than 80 columns:" >&2
                printf '%s\n' "$long" | sed 's/^/    /' >&2
                failed=$((failed + 1))
        fi
        want="NAME DESCRIPTION SEE_ALSO"
        case $name in
        *.1|*.8) want="$want SYNOPSIS EXIT_STATUS" ;;
        esac
        for section in $want; do
                heading=$(printf '%s' "$section" | tr _ ' ')
                grep -qx "$heading" "$tmp/out" || {
                        echo "FAIL: $name: no $heading section" >&2
                        failed=$((failed + 1))
                }
        done
done
echo "$n pages checked, $failed problems"
[ "$failed" -eq 0 ]
