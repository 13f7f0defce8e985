#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A throwaway MIT Kerberos realm for the Kerberos tests (test-rpc-krb5, test-interop-krb5):
#
#     krb5-realm.sh DIR
#
# creates the realm OPENDCOM.TEST with everything under DIR (krb5.conf, kdc.conf, the
# database and its stash, the service keytab, the KDC's log), writes DIR/env, then
# becomes the KDC itself (exec krb5kdc -n) on a free loopback port, TCP and UDP: the
# caller's child process is the KDC, and the caller kills it by that PID (and may have
# the kernel do it should the caller die, PR_SET_PDEATHSIG).  DIR/env holds KEY=VALUE
# lines: KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5_KTNAME (host/localhost and RPCSS/localhost),
# KRB5RCACHEDIR (the acceptors' replay cache, here rather than /var/tmp), REALM, KDC
# (host:port) and the users' passwords; the caller waits for the file, then
# for kinit to succeed (the KDC needs a moment to bind its ports).
# Principals: host/localhost and RPCSS/localhost (random keys, in the keytab),
# cifs/localhost (random key, in no keytab: a server that cannot read its ticket), and
# the users alice, nobody (also a Unix user, for the uid mapping) and bob.
# Exit 77 when the KDC packages (krb5-kdc, krb5-admin-server, krb5-user) are missing.
set -eu

dir=${1:?usage: krb5-realm.sh DIR}
REALM=OPENDCOM.TEST
ALICE_PW='Alice-krb5-1'
NOBODY_PW='Nobody-krb5-2'
BOB_PW='Bob-krb5-3'

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
for p in krb5kdc kdb5_util kadmin.local kinit kvno; do
        if ! command -v "$p" >/dev/null 2>&1; then
                echo "SKIP: $p is missing (apt-get install krb5-kdc krb5-admin-server krb5-user)"
                exit 77
        fi
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# a free loopback port, TCP and UDP alike (the KDC binds both)
port=$(/usr/bin/python3 -c '
import socket
for _ in range(20):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break')
[ -n "$port" ] || { echo "krb5-realm: no free port"; exit 1; }

cat >"$dir/krb5.conf" <<EOF
[libdefaults]
        default_realm = $REALM
        dns_lookup_kdc = false
        dns_lookup_realm = false
        dns_canonicalize_hostname = false
        forwardable = true
        rdns = false
        udp_preference_limit = 1
        default_ccache_name = FILE:$dir/ccache-default
[realms]
        $REALM = {
                kdc = 127.0.0.1:$port
                admin_server = 127.0.0.1:$port
        }
[domain_realm]
        localhost = $REALM
        .localhost = $REALM
EOF
cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
[realms]
        $REALM = {
                database_name = $dir/principal
                key_stash_file = $dir/stash
                acl_file = $dir/kadm5.acl
                max_life = 1h
                max_renewable_life = 1h
                supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        }
[logging]
        kdc = FILE:$dir/kdc.log
EOF
: >"$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"

kdb5_util create -s -r "$REALM" -P "master-$$-$port" >"$dir/setup.log" 2>&1
kadm() { kadmin.local -r "$REALM" -q "$1" >>"$dir/setup.log" 2>&1; }
kadm "addprinc -randkey host/localhost"
kadm "addprinc -randkey RPCSS/localhost"
kadm "addprinc -randkey cifs/localhost"
kadm "addprinc -pw $ALICE_PW alice"
kadm "addprinc -pw $NOBODY_PW nobody"
kadm "addprinc -pw $BOB_PW bob"
kadm "ktadd -k $dir/service.keytab host/localhost RPCSS/localhost"

cat >"$dir/env.tmp" <<EOF
KRB5_CONFIG=$dir/krb5.conf
KRB5_KDC_PROFILE=$dir/kdc.conf
KRB5_KTNAME=FILE:$dir/service.keytab
KRB5RCACHEDIR=$dir
REALM=$REALM
KDC=127.0.0.1:$port
ALICE_PW=$ALICE_PW
NOBODY_PW=$NOBODY_PW
BOB_PW=$BOB_PW
EOF
mv "$dir/env.tmp" "$dir/env"
exec krb5kdc -n -r "$REALM"
