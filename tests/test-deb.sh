#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packages as an administrator meets them (make deb-test; not part of make
# test: it needs root and dpkg-buildpackage's output).
#
#  1. Contents, from `dpkg-deb -c` and the extracted files: each package holds what it
#     should, everything root's, programs 0755 and nothing setuid, /var/lib/opendcom
#     0755 root's, no RPATH/RUNPATH (libdcom.so.0 is in the system directory) and no
#     path of the build tree in any file.
#  2. Install, use, upgrade, purge -- in a throwaway copy of this machine: new mount,
#     PID and network namespaces (unshare) with an overlay over / whose upper layer is
#     a tmpfs, chrooted into, with fresh /run and /tmp.  dpkg runs the real maintainer
#     scripts there (systemd-sysusers, systemd-tmpfiles, deb-systemd-helper; systemd is
#     not running, so nothing is started), writing only to the tmpfs; the namespaces,
#     their processes and their files vanish at the end.  Installed: `reg --version`,
#     `rpcss --help`, `pkg-config --modversion dcom`, a client built with dcom.pc, the
#     rpcss user, /run/opendcom, the enabled units, a registry write with reg, rpcss run
#     as the rpcss user on the namespace's loopback and dcomdiag's steps to it.
#     Upgraded: the same packages repacked as VERSION+t1.  Purged: every file the
#     packages or their scripts made is gone (the overlay's upper layer is compared with
#     its state before the install).
#
#     test-deb.sh [DIR]        (default build-deb: where `make deb` left the .deb files)
# Exit 0 passed, 1 failed, 77 skipped (not root, or no overlayfs/namespaces here).
set -u
out=${1:-build-deb}
out=$(cd "$out" && pwd) || exit 1
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pkgs="libdcom0 libdcom-dev opendcom-tools opendcom"
failed=0
n=0
fail() {
        echo "FAIL: $*" >&2
        failed=$((failed + 1))
}
ok() {
        n=$((n + 1))
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for p in $pkgs; do
        [ -f "$out/${p}_${version}_${arch}.deb" ] ||
                { echo "test-deb: no $out/${p}_${version}_${arch}.deb (make deb first)" >&2; exit 1; }
done

# --- 1. contents -------------------------------------------------------------------------
expected() {
        case $1 in
        libdcom0) echo "./usr/lib/$multiarch/libdcom.so.0 ./usr/lib/$multiarch/libdcom.so.$version" ;;
        libdcom-dev) echo "./usr/bin/dcomidl ./usr/include/dcom/dcom.h
                ./usr/include/dcom/win/windows.h ./usr/include/dcom/win/unknwn.idl
                ./usr/lib/$multiarch/libdcom.so ./usr/lib/$multiarch/pkgconfig/dcom.pc
                ./usr/share/man/man1/dcomidl.1.gz" ;;
        opendcom-tools) echo "./usr/bin/reg ./usr/bin/regsvr ./usr/bin/dcomerr ./usr/bin/dcomdiag
                ./usr/sbin/dcomcnfg ./usr/sbin/dcompasswd ./usr/share/man/man1/reg.1.gz
                ./usr/share/man/man8/dcompasswd.8.gz" ;;
        opendcom) echo "./usr/sbin/rpcss ./usr/sbin/dcomlaunch ./usr/sbin/dcomlsa
                ./usr/sbin/dcomsurrogate ./lib/systemd/system/rpcss.service
                ./lib/systemd/system/dcomlaunch.service ./lib/systemd/system/dcomlsa.service
                ./usr/lib/sysusers.d/opendcom.conf ./usr/lib/tmpfiles.d/opendcom.conf
                ./var/lib/opendcom/ ./usr/share/man/man8/rpcss.8.gz
                ./usr/share/man/man7/opendcom.7.gz" ;;
        esac
}
for p in $pkgs; do
        deb=$out/${p}_${version}_${arch}.deb
        dpkg-deb -c "$deb" > "$tmp/$p.list"
        for f in $(expected "$p"); do
                ok
                awk '{print $6}' "$tmp/$p.list" | grep -qxF "$f" || fail "$p: no $f"
        done
        ok
        awk '$2 != "root/root"' "$tmp/$p.list" | grep . && fail "$p: files not root/root's"
        ok
        awk '$1 ~ /[sS]/' "$tmp/$p.list" | grep . && fail "$p: setuid/setgid files"
        ok
        awk '$6 ~ /^\.\/usr\/s?bin\/./ && $1 != "-rwxr-xr-x"' "$tmp/$p.list" | grep . &&
                fail "$p: programs not 0755"
        mkdir -p "$tmp/x/$p"
        dpkg-deb -x "$deb" "$tmp/x/$p"
        find "$tmp/x/$p" -type f > "$tmp/$p.files"
        while read -r f; do
                ok
                if grep -qaF -e "$out" -e "$top" -e "obj-$multiarch" "$f"; then
                        fail "$p: ${f#"$tmp/x/$p"} holds a build-tree path"
                fi
                # (readelf says nothing of a file that is not ELF)
                readelf -d "$f" 2>/dev/null | grep -E 'RPATH|RUNPATH' &&
                        fail "$p: ${f#"$tmp/x/$p"} has an RPATH"
        done < "$tmp/$p.files"
done
ok
grep -q '^drwxr-xr-x root/root .* \./var/lib/opendcom/$' "$tmp/opendcom.list" ||
        fail "opendcom: /var/lib/opendcom is not 0755 root/root"
ok
grep -qx "prefix=/usr" "$tmp/x/libdcom-dev/usr/lib/$multiarch/pkgconfig/dcom.pc" ||
        fail "dcom.pc: prefix is not /usr"
echo "test-deb: contents: $n checks, $failed failed"

# --- 2. install, use, upgrade, purge in an overlay of / -----------------------------------
if [ "$(id -u)" -ne 0 ]; then
        echo "test-deb: SKIP install/purge: needs root (unshare, mount, chroot, dpkg -i)"
        [ "$failed" -eq 0 ] && exit 77
        exit 1
fi

# VERSION+t1: the same files under a higher version, for the upgrade path
mkdir -p "$tmp/debs/new"
for p in $pkgs; do
        cp "$out/${p}_${version}_${arch}.deb" "$tmp/debs/"
        rm -rf "$tmp/re"
        dpkg-deb -R "$out/${p}_${version}_${arch}.deb" "$tmp/re"
        sed -i "s/^Version: .*/Version: ${version}+t1/; s/(= ${version})/(= ${version}+t1)/" \
                "$tmp/re/DEBIAN/control"
        dpkg-deb --root-owner-group -b "$tmp/re" "$tmp/debs/new/${p}.deb" >/dev/null ||
                fail "repacking $p as ${version}+t1"
done

cat > "$tmp/inner.sh" <<'INNER'
# Runs in the new namespaces: everything below writes to the tmpfs only.
set -u
tmp=$1 version=$2 multiarch=$3
root=$tmp/ovl/root
mount -t tmpfs -o mode=0755 ovl "$tmp/ovl" || exit 77
ip link set lo up || exit 77
mkdir -p "$tmp/ovl/upper" "$tmp/ovl/work" "$root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" "$root" ||
        exit 77
[ "$(findmnt -n -o FSTYPE "$root")" = overlay ] || exit 77
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 run "$root/run"
mount -t tmpfs -o mode=1777 tmp "$root/tmp"
mkdir -p "$root/tmp/debs"
cp -r "$tmp/debs/." "$root/tmp/debs/"
# What this machine has of OpenDCOM already (other builds' state) is not the packages'.
rm -rf "$root/var/lib/opendcom" "$root/etc/opendcom"
# The upper layer now, files and whiteouts (directories are copied up on the way)
snapshot() {
        (cd "$tmp/ovl/upper" && find . ! -type d ! -path './tmp/*' ! -path './var/lib/dpkg/*' \
                ! -path './var/log/*' ! -path './var/cache/*' ! -path './etc/ld.so.cache' \
                ! -path './etc/passwd*' ! -path './etc/group*' ! -path './etc/shadow*' \
                ! -path './etc/gshadow*' ! -path './etc/.pwd.lock' | sort)
}
snapshot > "$tmp/before"
chroot "$root" /bin/sh -s "$version" "$multiarch" <<'CHROOT'
set -u
version=$1 multiarch=$2
failed=0 n=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
check() { n=$((n + 1)); what=$1; shift; "$@" > /tmp/out 2>&1 || fail "$what: $(head -c 400 /tmp/out)"; }
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C
unset LD_LIBRARY_PATH

cd /tmp/debs
check "dpkg -i" dpkg -i libdcom0_*.deb libdcom-dev_*.deb opendcom-tools_*.deb opendcom_*.deb
check "installed, all four" sh -c '[ $(dpkg-query -W -f="\${db:Status-Status}\n" libdcom0 libdcom-dev opendcom-tools opendcom | grep -c "^installed$") -eq 4 ]'
check "reg --version" sh -c "[ \"\$(/usr/bin/reg --version)\" = 'reg (OpenDCOM) $version' ]"
check "rpcss --help" sh -c '/usr/sbin/rpcss --help | grep -q .'
check "dcomerr" sh -c '/usr/bin/dcomerr 0x80070005 | grep -qi "denied"'
check "pkg-config --modversion dcom" sh -c "[ \"\$(pkg-config --modversion dcom)\" = $version ]"
check "libdcom.so.0 through ld.so.cache" sh -c "ldconfig -p | grep -E \"^[[:space:]]libdcom[.]so[.]0 .* => (/usr)?/lib/$multiarch/libdcom[.]so[.]0\$\""
check "user rpcss" getent passwd rpcss
check "/run/opendcom rpcss's 0755" sh -c '[ "$(stat -c "%U %a" /run/opendcom)" = "rpcss 755" ]'
check "/run/opendcom/rpc 1777" sh -c '[ "$(stat -c "%U %a" /run/opendcom/rpc)" = "root 1777" ]'
check "/var/lib/opendcom root's 0755" sh -c '[ "$(stat -c "%U %G %a" /var/lib/opendcom)" = "root root 755" ]'
for u in rpcss dcomlaunch dcomlsa; do
        check "$u.service enabled" test -L /etc/systemd/system/multi-user.target.wants/$u.service
done
check "reg add HKLM" /usr/bin/reg add 'HKLM\Software\OpenDCOMDebTest' /v x /t REG_SZ /d y /f
check "reg query HKLM" sh -c "/usr/bin/reg query 'HKLM\\Software\\OpenDCOMDebTest' /v x | grep -q y"
# rpcss as its unit runs it -- user rpcss, only CAP_NET_BIND_SERVICE -- on port 135 of
# this namespace's own loopback, and dcomdiag's way to it
setpriv --reuid=rpcss --regid=rpcss --init-groups --inh-caps=+net_bind_service \
        --ambient-caps=+net_bind_service /usr/sbin/rpcss --listen 127.0.0.1 --foreground \
        > /tmp/rpcss.log 2>&1 &
rpcss=$!
check "dcomdiag 127.0.0.1 against the packaged rpcss" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do
        /usr/bin/dcomdiag 127.0.0.1 --timeout 2 > /tmp/diag 2>&1 && exit 0; sleep 0.5; done;
        cat /tmp/diag /tmp/rpcss.log; exit 1'
kill "$rpcss" 2>/dev/null
wait "$rpcss"
check "a compiled client" sh -c 'printf "#include <dcom/dcom.h>\nint main(void) { return 0; }\n" > /tmp/c.c &&
        cc -o /tmp/c /tmp/c.c $(pkg-config --cflags --libs dcom) && /tmp/c'

check "upgrade to $version+t1" dpkg -i new/libdcom0.deb new/libdcom-dev.deb new/opendcom-tools.deb new/opendcom.deb
check "upgraded" sh -c "[ \"\$(dpkg-query -W -f='\${Version}' opendcom)\" = $version+t1 ]"
check "registry kept over the upgrade" sh -c "/usr/bin/reg query 'HKLM\\Software\\OpenDCOMDebTest' /v x | grep -q y"
check "rpcss.service still enabled" test -L /etc/systemd/system/multi-user.target.wants/rpcss.service

check "dpkg --purge" dpkg --purge opendcom opendcom-tools libdcom-dev libdcom0
check "purged, all four" sh -c '! dpkg-query -W -f="\${db:Status-Status}\n" libdcom0 libdcom-dev opendcom-tools opendcom 2>/dev/null | grep -q "^installed$"'
check "/run/opendcom gone" test ! -e /run/opendcom
echo "test-deb: in the overlay: $n checks, $failed failed"
[ "$failed" -eq 0 ]
CHROOT
rc=$?
snapshot > "$tmp/after"
if ! cmp -s "$tmp/before" "$tmp/after"; then
        echo "FAIL: files left after the purge (+) or removed from the machine (-):" >&2
        diff "$tmp/before" "$tmp/after" | grep '^[<>]' | sed 's/^</-/; s/^>/+/' >&2
        rc=1
fi
exit $rc
INNER
mkdir -p "$tmp/ovl"
unshare --mount --pid --net --fork --propagation private sh "$tmp/inner.sh" "$tmp" "$version" "$multiarch"
rc=$?
case $rc in
0) ;;
77) echo "test-deb: SKIP install/purge: no overlayfs or mount namespace here"
    [ "$failed" -eq 0 ] && exit 77 ;;
*) failed=$((failed + 1)) ;;
esac
[ "$failed" -eq 0 ] && echo "test-deb: passed" && exit 0
echo "test-deb: $failed failed" >&2
exit 1
