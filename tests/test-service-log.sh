#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The services' log under systemd: when stderr is the journal's stream (JOURNAL_STREAM
# holds its "DEV:INODE", as systemd.exec(5) sets it) every line starts with its syslog
# priority in sd-daemon(3)'s form, so that the journal keeps it -- <6> starts and stops,
# <3> errors, <4> refusals, <7> debug lines (and those without a timestamp); without
# JOURNAL_STREAM, or with one naming another file, lines stay "NAME: message".  rpcss and
# dcomlaunch run in a private instance (OPENDCOM_ROOT), on loopback, killed by their pids.
#     test-service-log.sh RPCSS DCOMLAUNCH
set -u
rpcss=${1:?usage: test-service-log.sh RPCSS DCOMLAUNCH}
dcomlaunch=${2:?usage: test-service-log.sh RPCSS DCOMLAUNCH}
tmp=$(mktemp -d)
pids=""
cleanup() {
        for p in $pids; do kill "$p" 2>/dev/null || true; done
        for p in $pids; do wait "$p" 2>/dev/null || true; done
        rm -rf "$tmp"
}
trap cleanup EXIT
export OPENDCOM_ROOT="$tmp/root"
mkdir "$OPENDCOM_ROOT"
unset JOURNAL_STREAM DCOM_LOG DCOM_DEBUG
failed=0
passed=0
fail() {
        echo "FAIL: $*" >&2
        failed=$((failed + 1))
}
ok() {
        passed=$((passed + 1))
}
# has FILE REGEX: a line of FILE matches (grep -E), else say what the file holds
has() {
        if grep -qE "$2" "$1"; then
                ok
        else
                fail "no line matching '$2' in $(basename "$1"):"
                sed 's/^/    /' "$1" >&2
        fi
}
free_port() {
        /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for FILE REGEX: up to 20 s
wait_for() {
        i=0
        while ! grep -qE "$2" "$1" 2>/dev/null; do
                i=$((i + 1))
                [ "$i" -le 200 ] || return 1
                sleep 0.1
        done
}
stream_of() {
        stat -c '%d:%i' "$1"
}

# ---- rpcss: start and stop as the journal sees them ----------------------------------
: >"$tmp/rpcss.log"
port=$(free_port)
JOURNAL_STREAM=$(stream_of "$tmp/rpcss.log") DCOM_DEBUG=rpc \
        "$rpcss" --port "$port" --listen 127.0.0.1 --foreground 2>>"$tmp/rpcss.log" &
rpid=$!
pids="$pids $rpid"
wait_for "$tmp/rpcss.log" 'started' || fail "rpcss did not start"
kill -TERM "$rpid"
wait "$rpid"; rc=$?
[ "$rc" -eq 0 ] && ok || fail "rpcss exited with $rc after SIGTERM"
has "$tmp/rpcss.log" "^<6>rpcss: started \\(pid $rpid\\): port $port on 127\\.0\\.0\\.1"
has "$tmp/rpcss.log" '^<6>rpcss: stopped \(Terminated\)$'
# debug lines: <7>, then the thread and channel, no timestamp (the journal keeps time)
has "$tmp/rpcss.log" '^<7>\[[0-9]+\] rpc: '
if grep -vE '^<[0-7]>' "$tmp/rpcss.log" | grep -q .; then
        fail "rpcss lines without a priority under the journal:"
        grep -vE '^<[0-7]>' "$tmp/rpcss.log" | sed 's/^/    /' >&2
else
        ok
fi

# ---- an error: the port is taken (by another rpcss) -----------------------------------
: >"$tmp/first.log"
"$rpcss" --port "$port" --listen 127.0.0.1 --foreground 2>"$tmp/first.log" &
first=$!
pids="$pids $first"
wait_for "$tmp/first.log" 'started' || fail "the first rpcss did not start"
: >"$tmp/err.log"
JOURNAL_STREAM=$(stream_of "$tmp/err.log") \
        "$rpcss" --port "$port" --listen 127.0.0.1 --foreground 2>>"$tmp/err.log"
rc=$?
[ "$rc" -eq 1 ] && ok || fail "a second rpcss on port $port exited with $rc, not 1"
has "$tmp/err.log" "^<3>rpcss: cannot listen on 127\\.0\\.0\\.1 port $port: Address already in use\$"
# the first, without JOURNAL_STREAM: plain lines, as on a terminal
has "$tmp/first.log" "^rpcss: started \\(pid $first\\)"

# ---- JOURNAL_STREAM inherited but stderr redirected elsewhere: no prefixes ----------------
: >"$tmp/other.log"
: >"$tmp/redirected.log"
JOURNAL_STREAM=$(stream_of "$tmp/other.log") \
        "$rpcss" --port "$port" --listen 127.0.0.1 --foreground 2>>"$tmp/redirected.log"
has "$tmp/redirected.log" "^rpcss: cannot listen on 127\\.0\\.0\\.1 port $port: "
kill -TERM "$first"
wait "$first"

# ---- dcomlaunch: start, a refused connection, stop; an error ------------------------------
: >"$tmp/launch.log"
JOURNAL_STREAM=$(stream_of "$tmp/launch.log") \
        "$dcomlaunch" --foreground 2>>"$tmp/launch.log" &
lpid=$!
pids="$pids $lpid"
wait_for "$tmp/launch.log" 'started' || fail "dcomlaunch did not start"
has "$tmp/launch.log" "^<6>dcomlaunch: started \\(pid $lpid\\): "
# a connection from a user that may not ask is refused: a warning (needs root to be
# another user; the socket serves root, dcomlaunch's user and --client-user only)
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
        chmod 755 "$tmp" "$OPENDCOM_ROOT" "$OPENDCOM_ROOT/run"     # the socket is 0666
        /usr/bin/python3 - "$OPENDCOM_ROOT/run/dcomlaunch" "$(id -u nobody)" "$(id -g nobody)" <<'PY'
import os, socket, sys
os.setgid(int(sys.argv[3]))
os.setgroups([])
os.setuid(int(sys.argv[2]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.recv(1)      # dcomlaunch closes the connection
PY
        wait_for "$tmp/launch.log" 'refused' || true
        has "$tmp/launch.log" "^<4>dcomlaunch: refused a connection from uid $(id -u nobody) "
else
        echo "not root: the refused-connection line is not checked"
fi
kill -TERM "$lpid"
wait "$lpid"
has "$tmp/launch.log" '^<6>dcomlaunch: stopped \('
: >"$tmp/launch-err.log"
JOURNAL_STREAM=$(stream_of "$tmp/launch-err.log") \
        "$dcomlaunch" --foreground --client-user no-such-user-here 2>>"$tmp/launch-err.log"
rc=$?
[ "$rc" -eq 1 ] && ok || fail "dcomlaunch --client-user no-such-user-here exited with $rc"
has "$tmp/launch-err.log" '^<3>dcomlaunch: --client-user no-such-user-here: no such user$'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
