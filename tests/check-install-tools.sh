#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What `make install` ships, as an administrator meets it: `meson install` into a scratch
# DESTDIR, then every installed program (bin, sbin, libexec) run from there with no
# LD_LIBRARY_PATH -- those linking libdcom.so find it through their RPATH ($ORIGIN/..),
# not through the build tree -- answering --version with "NAME (OpenDCOM) VERSION" and
# --help with what it does, an example and its exit status, and each with its man page
# installed.
#     check-install-tools.sh BUILDDIR VERSION
set -u
build=${1:?usage: check-install-tools.sh BUILDDIR VERSION}
version=${2:?usage: check-install-tools.sh BUILDDIR VERSION}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
n=0
fail() {
        echo "FAIL: $*" >&2
        failed=$((failed + 1))
}

meson install -C "$build" --no-rebuild --destdir "$tmp/root" --quiet >/dev/null ||
        { echo "check-install-tools: meson install failed" >&2; exit 1; }
root=$tmp/root
build_abs=$(cd "$build" && pwd)
# A sanitized build's programs need nothing more; leaks are not this test's subject.
export ASAN_OPTIONS=detect_leaks=0
unset LD_LIBRARY_PATH

programs=$(find "$root" -type f -perm -u+x \( -path '*/bin/*' -o -path '*/sbin/*' -o -path '*/libexec/*' \) | sort)
[ -n "$programs" ] || { echo "check-install-tools: nothing installed in bin, sbin or libexec" >&2; exit 1; }
for exe in $programs; do
        name=$(basename "$exe")
        n=$((n + 1))
        # --version, from the installed place only
        out=$(env -u LD_LIBRARY_PATH "$exe" --version 2>"$tmp/err")
        rc=$?
        [ "$rc" -eq 0 ] || fail "$name --version: exit status $rc: $(head -c 300 "$tmp/err")"
        [ -s "$tmp/err" ] && fail "$name --version wrote to stderr: $(head -c 300 "$tmp/err")"
        [ "$out" = "$name (OpenDCOM) $version" ] || fail "$name --version printed '$out'"
        # --help: stdout, exit 0, the name, an example, the exit status
        env -u LD_LIBRARY_PATH "$exe" --help >"$tmp/help" 2>"$tmp/err"
        rc=$?
        [ "$rc" -eq 0 ] || fail "$name --help: exit status $rc"
        [ -s "$tmp/err" ] && fail "$name --help wrote to stderr: $(head -c 300 "$tmp/err")"
        grep -qi "$name" "$tmp/help" || fail "$name --help does not name $name"
        grep -qi 'example' "$tmp/help" || fail "$name --help has no example"
        grep -qi 'exit status\|return code' "$tmp/help" || fail "$name --help does not give its exit status"
        # found libdcom.so through the installed tree, never the build tree
        if readelf -d "$exe" 2>/dev/null | grep -q 'NEEDED.*libdcom'; then
                rpath=$(readelf -d "$exe" | sed -n 's/.*R[UN]*PATH).*\[\(.*\)\]/\1/p')
                case $rpath in
                *"$build_abs"*) fail "$name's RUNPATH names the build tree: $rpath" ;;
                '$ORIGIN/'*) ;;
                *) fail "$name links libdcom.so but its RUNPATH is '$rpath'" ;;
                esac
        fi
        # its man page
        find "$root" -path "*/share/man/man[178]/$name.[178]" | grep -q . ||
                fail "$name has no man page installed"
done
for page in opendcom.7; do
        find "$root" -path "*/share/man/man*/$page" | grep -q . || fail "$page is not installed"
done
echo "$n installed programs checked, $failed problems"
[ "$failed" -eq 0 ]
