#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libdcom.so exports exactly the symbols named in src/libdcom.sym: nothing leaks out
# of the hidden-visibility build, and nothing listed is missing.
#     check-exports.sh LIBDCOM.so libdcom.sym
set -eu
lib=$1
sym=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols of our version node, sans version suffix.
nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^DCOM_0$' \
        | sort -u >"$tmp/exported"
sed -n '/global:/,/local:/p' "$sym" | grep -E '^[[:space:]]+[A-Za-z_][A-Za-z0-9_]*;' \
        | tr -d ' \t;' | sort -u >"$tmp/listed"

if ! diff -u "$tmp/listed" "$tmp/exported"; then
        echo "check-exports: libdcom.so's exports differ from $sym (- listed, + exported)" >&2
        exit 1
fi
echo "ok: $(wc -l <"$tmp/exported") symbols exported, all listed"
