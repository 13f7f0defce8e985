#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# dcompasswd driven as an administrator would: add, change, list, disable, enable,
# delete; the password from standard input (-s, a pipe) and from a terminal (a pty,
# typed twice without echo); the NT hash in the file ([MS-NLMP] 4.2.2.1.2's vector for
# "Password") and never the password; file and directory modes; RIDs never reused;
# errors with their one-line messages and exit codes (1 failed, 2 usage) and no success
# line for what was not done; a corrupt file; another user than root.  Each group of
# cases gets a fresh OPENDCOM_ROOT=$(mktemp -d).
#     test-dcompasswd.sh DCOMPASSWD VERSION
set -u

abspath() {
        case $1 in
        /*) echo "$1" ;;
        *) echo "$(pwd)/$1" ;;
        esac
}

dcompasswd=$(abspath "${1:?usage: test-dcompasswd.sh DCOMPASSWD VERSION}")
version=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
what=

PASSWORD_HASH=a4f49c406510bdcab6824ee7c30fd852      # NTOWFv1("Password")

fail() {
        echo "FAIL: $what: $*" >&2
        failed=$((failed + 1))
}

# fresh : a new, empty store for what follows.
fresh() {
        OPENDCOM_ROOT=$(mktemp -d "$tmp/root.XXXXXX")
        export OPENDCOM_ROOT
        file=$OPENDCOM_ROOT/private/ntlm-accounts
}

# run EXPECTED_STATUS ARGS... <input : runs dcompasswd; stdout and stderr go to
# $tmp/out, $tmp/err.
run() {
        want=$1
        shift
        "$dcompasswd" "$@" >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" -ne "$want" ]; then
                fail "dcompasswd $*: exit status $got, expected $want"
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

# listed TEXT : the list is exactly stdin.
listed() {
        run 0 </dev/null && expect out
}

# file_has LINE : the account file has this line.
file_has() {
        grep -qxF -- "$1" "$file" || { fail "the account file lacks \"$1\":"; sed 's/^/    /' "$file" >&2; }
}

mode_of() {
        stat -c %a "$1"
}

# ---- add, change, list ---------------------------------------------------------------

fresh
what='an empty store lists nothing'
listed </dev/null
empty err

what='add with -s'
printf 'Password\n' | run 0 -a -s alice && expect out <<EOF
Added account alice (RID 1000).
EOF
empty err
file_has "alice:1000:$PASSWORD_HASH:"

what='the file: mode 0600 in a 0700 directory, a header, no password'
[ "$(mode_of "$file")" = 600 ] || fail "the file's mode is $(mode_of "$file")"
[ "$(mode_of "$OPENDCOM_ROOT/private")" = 700 ] ||
        fail "the directory's mode is $(mode_of "$OPENDCOM_ROOT/private")"
head -n 1 "$file" | grep -qE '^opendcom-ntlm-accounts:1:S-1-5-21-[0-9]+-[0-9]+-[0-9]+:1001$' ||
        fail "unexpected header: $(head -n 1 "$file")"
grep -aq 'Password' "$file" && fail "the password is in the file"

what='list'
listed <<EOF
alice:1000:enabled
EOF

what='change the password (another case; CRLF stripped)'
printf 'other\r\n' | run 0 -s ALICE && expect out <<EOF
Changed the password of alice.
EOF
grep -q "$PASSWORD_HASH" "$file" && fail "the hash did not change"
grep -q '^alice:1000:[0-9a-f]\{32\}:$' "$file" || fail "alice's line is wrong"
grep -aq 'other' "$file" && fail "the password is in the file"
printf 'Password\r\n' | run 0 -a -s Alice && expect out <<EOF
Changed the password of alice.
EOF
file_has "alice:1000:$PASSWORD_HASH:"

what='a last line without a newline; only the first line is the password'
printf 'x\n' | run 0 -s alice
printf 'Password' | run 0 -s alice
file_has "alice:1000:$PASSWORD_HASH:"
printf 'x\n' | run 0 -s alice
printf 'Password\nsecond line\n' | run 0 -s alice
file_has "alice:1000:$PASSWORD_HASH:"

what='add from a pipe without -s'
printf 'Password\n' | run 0 -a bob && expect out <<EOF
Added account bob (RID 1001).
EOF
printf 'Password\n' | run 0 --add --stdin 'Émile Zola' && expect out <<EOF
Added account Émile Zola (RID 1002).
EOF
what='a Unicode name, compared without case'
printf 'Password\n' | run 0 -s 'éMILE ZOLA' && contains out 'Changed the password of Émile Zola.'

what='the longest password (512 bytes)'
long=$(printf '%0512d' 0)
printf '%s\n' "$long" | run 0 -s bob
grep -aq "$long" "$file" && fail "the password is in the file"

# ---- disable, enable, delete -------------------------------------------------------------

what='disable'
run 0 -d BOB </dev/null && expect out <<EOF
Disabled account bob.
EOF
file_has "bob:1001:$(grep '^bob:' "$file" | cut -d: -f3):D"
listed <<EOF
alice:1000:enabled
bob:1001:disabled
Émile Zola:1002:enabled
EOF
what='disable again'
run 0 --disable bob </dev/null && expect out <<EOF
Account bob is already disabled.
EOF
what='a password change keeps the account disabled'
printf 'Password\n' | run 0 -s bob
file_has "bob:1001:$PASSWORD_HASH:D"

what='enable'
run 0 -e bob </dev/null && expect out <<EOF
Enabled account bob.
EOF
file_has "bob:1001:$PASSWORD_HASH:"
run 0 --enable bob </dev/null && expect out <<EOF
Account bob is already enabled.
EOF

what='delete'
run 0 -x Bob </dev/null && expect out <<EOF
Deleted account bob.
EOF
listed <<EOF
alice:1000:enabled
Émile Zola:1002:enabled
EOF
what='a RID is never reused'
printf 'Password\n' | run 0 -a -s bob && expect out <<EOF
Added account bob (RID 1003).
EOF
run 0 --delete bob </dev/null

# ---- errors: exit 1, nothing done, no success line -------------------------------------------

what='unknown account'
for opt in -x -d -e; do
        run 1 $opt carol </dev/null && empty out && expect err <<EOF
dcompasswd: there is no account 'carol' (dcompasswd with no argument lists them; -a adds one)
EOF
done
printf 'Password\n' | run 1 -s carol && empty out && contains err "there is no account 'carol'"
grep -q '^carol:' "$file" && fail "carol was created"

what='bad names'
for name in 'a:b' '' "$(printf 'a\tb')" "$(printf '%0257d' 0)" "$(printf 'bad\377')"; do
        printf 'Password\n' | run 1 -a -s "$name" && empty out &&
                contains err 'is not a valid account name: it takes 1 to 256 bytes of UTF-8, without'
done
printf 'Password\n' | run 1 -a -s "$(printf 'esc\033[2J')" &&
        expect err <<EOF
dcompasswd: 'esc\\x1b[2J' is not a valid account name: it takes 1 to 256 bytes of UTF-8, without ':' or control characters
EOF
what='the longest name (256 bytes)'
printf 'Password\n' | run 0 -a -s "$(printf '%0256d' 0)"

what='no password on standard input'
run 1 -a -s carol </dev/null && empty out && expect err <<EOF
dcompasswd: no password on standard input (give it as one line)
EOF
what='an empty password'
printf '\n' | run 1 -a -s carol && empty out && contains err 'refusing an empty password'
printf '\r\n' | run 1 -a -s carol && contains err 'refusing an empty password'
what='a password too long (513 bytes)'
printf '%0513d\n' 0 | run 1 -a -s carol && empty out && expect err <<EOF
dcompasswd: the password is longer than 512 bytes
EOF
what='a password that is not UTF-8'
printf 'bad\377\n' | run 1 -a -s carol && empty out && contains err 'not valid UTF-8'
what='a password with a NUL byte'
printf 'a\000b\n' | run 1 -a -s carol && contains err 'NUL byte'
grep -q '^carol:' "$file" && fail "carol was created"

what='a corrupt file'
cp "$file" "$tmp/before"
printf 'garbage\n' >>"$file"
cp "$file" "$tmp/corrupt"
run 1 </dev/null && empty out && expect err <<EOF
dcompasswd: the account file $file is corrupt -- repair or restore it (DCOM_DEBUG=auth names the bad line)
EOF
printf 'Password\n' | run 1 -a -s carol && empty out && contains err 'is corrupt'
run 1 -x alice </dev/null && contains err 'is corrupt'
cmp -s "$file" "$tmp/corrupt" || fail "the corrupt file was changed"
DCOM_DEBUG=auth "$dcompasswd" >/dev/null 2>"$tmp/err"
contains err "ntlm-accounts:$(wc -l <"$file"): not NAME:RID:NTHASH:FLAGS"
cp "$tmp/before" "$file"

what='OPENDCOM_ROOT must be absolute'
OPENDCOM_ROOT=relative "$dcompasswd" </dev/null >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "exit status not 1"
expect err <<EOF
dcompasswd: OPENDCOM_ROOT must be an absolute path
EOF

# ---- as another user than root: "run as root" ----------------------------------------------------

what='not root'
if [ "$(id -u)" -eq 0 ]; then
        if command -v setpriv >/dev/null; then
                chmod 755 "$tmp" "$OPENDCOM_ROOT"
                as_other="setpriv --reuid=65534 --regid=65534 --clear-groups"
        else
                as_other=
                echo "SKIP: not root: no setpriv" >&2
        fi
else
        chmod 000 "$OPENDCOM_ROOT/private"
        as_other=env
fi
if [ -n "$as_other" ]; then
        $as_other "$dcompasswd" </dev/null >"$tmp/out" 2>"$tmp/err"
        [ $? -eq 1 ] || fail "listing: exit status not 1"
        empty out
        expect err <<EOF
dcompasswd: cannot read the account file $file: Permission denied -- run as root
EOF
        printf 'Password\n' | $as_other "$dcompasswd" -a -s mallory >"$tmp/out" 2>"$tmp/err"
        [ $? -eq 1 ] || fail "adding: exit status not 1"
        empty out
        contains err "cannot read the account file $file: Permission denied -- run as root"
        $as_other "$dcompasswd" -x alice </dev/null >"$tmp/out" 2>"$tmp/err"
        [ $? -eq 1 ] || fail "deleting: exit status not 1"
        contains err 'Permission denied -- run as root'
        passed=$((passed + 3))
        [ "$(id -u)" -eq 0 ] || chmod 700 "$OPENDCOM_ROOT/private"
        grep -q '^mallory:' "$file" && fail "mallory was created"
        grep -q '^alice:' "$file" || fail "alice was deleted"
fi

# ---- the command line: exit 2 ------------------------------------------------------------------

fresh
what='usage errors'
run 2 -a </dev/null && empty out && contains err 'USER is missing'
run 2 -s </dev/null && contains err 'USER is missing'
run 2 -x </dev/null && contains err 'USER is missing'
run 2 -a -x alice </dev/null && contains err 'exclude one another'
run 2 -d -e alice </dev/null && contains err 'exclude one another'
run 2 alice bob </dev/null && contains err 'one USER at a time'
run 2 --frob </dev/null && contains err "Try 'dcompasswd --help'"
run 2 -q alice </dev/null && contains err "Try 'dcompasswd --help'"
[ -e "$OPENDCOM_ROOT/private" ] && fail "a usage error created the store"

what='help and version'
run 0 --help </dev/null && contains out 'Usage: dcompasswd' && empty err
run 0 -h </dev/null && contains out '-s, --stdin'
run 0 --version </dev/null && expect out <<EOF
dcompasswd (OpenDCOM) $version
EOF

# ---- the password typed at a terminal --------------------------------------------------------------

what='terminal'
if command -v python3 >/dev/null; then
        cat >"$tmp/pty.py" <<'EOF'
# pty.py DCOMPASSWD FIRST SECOND USER: types the two answers at the prompts; prints the
# status, then what the terminal showed.
import os, signal, sys

signal.alarm(20)        # never hang the test on a prompt that does not come

def read_until(fd, marker, seen):
    while marker not in seen:
        try:
            b = os.read(fd, 1024)
        except OSError:
            break
        if not b:
            break
        seen += b
    return seen

pid, fd = os.forkpty()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-a", sys.argv[4]])
seen = read_until(fd, b"New password: ", b"")
os.write(fd, sys.argv[2].encode() + b"\n")
seen = read_until(fd, b"Retype new password: ", seen)
os.write(fd, sys.argv[3].encode() + b"\n")
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    seen += b
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
EOF
        python3 "$tmp/pty.py" "$dcompasswd" 'Password' 'Password' dave >"$tmp/out" 2>&1
        expect out <<EOF
0
New password: 
Retype new password: 
Added account dave (RID 1000).
EOF
        file_has "dave:1000:$PASSWORD_HASH:"
        python3 "$tmp/pty.py" "$dcompasswd" 'one' 'two' erin >"$tmp/out" 2>&1
        expect out <<EOF
1
New password: 
Retype new password: 
dcompasswd: the passwords do not match; nothing was changed
EOF
        grep -q '^erin:' "$file" && fail "erin was created"
        passed=$((passed + 2))
else
        echo "SKIP: terminal: no python3" >&2
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
