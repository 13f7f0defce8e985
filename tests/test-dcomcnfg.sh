#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# dcomcnfg driven as an administrator would, against a registry of its own
# (OPENDCOM_ROOT=$(mktemp -d)), with reg to set the scene and to look at what was written:
# list, show, set and machine; Windows' defaults when nothing is configured; seed 000's
# Legacy levels; seed 003's rules (KB Q246054), each in a check named after it; the
# all-or-nothing transactions; the .reg round trip; --help, --version and the man page; and
# the contract with the settings model: the commands its refusals name (dcomcnfg-check
# prints them) are accepted by dcomcnfg and grant what was refused.
#     test-dcomcnfg.sh DCOMCNFG REG VERSION MAN_PAGE DCOMCNFG_CHECK
set -u

dcomcnfg=${1:?usage: test-dcomcnfg.sh DCOMCNFG REG VERSION MAN_PAGE DCOMCNFG_CHECK}
reg=${2:?}
version=${3:?}
manpage=${4:?}
check=${5:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OPENDCOM_ROOT=$tmp/root
export OPENDCOM_ROOT
mkdir "$OPENDCOM_ROOT"
failed=0
passed=0
what=

fail() {
        printf 'FAIL: %s: %s\n' "$what" "$*" >&2
        failed=$((failed + 1))
}

# run EXPECTED_STATUS ARGS... : dcomcnfg ARGS, stdout in $tmp/out, stderr in $tmp/err.
run() {
        want=$1
        shift
        "$dcomcnfg" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" -ne "$want" ]; then
                fail "dcomcnfg $*: exit status $got, expected $want"
                sed 's/^/    stdout: /' "$tmp/out" >&2
                sed 's/^/    stderr: /' "$tmp/err" >&2
                return 1
        fi
        passed=$((passed + 1))
        return 0
}

# reg ARGS... : reg must succeed (setting the scene); its output in $tmp/reg.
regok() {
        if ! "$reg" "$@" </dev/null >"$tmp/reg" 2>&1; then
                fail "reg $* failed:"
                sed 's/^/    /' "$tmp/reg" >&2
                return 1
        fi
        return 0
}

# regno ARGS... : reg must fail (a value or key that must not exist).
regno() {
        if "$reg" "$@" </dev/null >"$tmp/reg" 2>&1; then
                fail "reg $* found what must not exist:"
                sed 's/^/    /' "$tmp/reg" >&2
                return 1
        fi
        return 0
}

# contains FILE TEXT : FILE (out, err or reg) has a line containing TEXT.
contains() {
        if ! grep -qF -- "$2" "$tmp/$1"; then
                fail "$1 lacks '$2':"
                sed 's/^/    /' "$tmp/$1" >&2
                return 1
        fi
        return 0
}

lacks() {
        if grep -qF -- "$2" "$tmp/$1"; then
                fail "$1 has '$2':"
                sed 's/^/    /' "$tmp/$1" >&2
                return 1
        fi
        return 0
}

empty() {
        [ -s "$tmp/$1" ] && { fail "$1 is not empty:"; sed 's/^/    /' "$tmp/$1" >&2; }
        return 0
}

# block LABEL : the lines of one setting in show's output (LABEL: and its indented lines)
# into $tmp/block.
block() {
        awk -v l="$1:" 'index($0, l) == 1 { on = 1; print; next }
                        on && /^    / { print; next }
                        { on = 0 }' "$tmp/out" >"$tmp/block"
}

# snapshot NAME : every hive exported, to show that nothing was written.
snapshot() {
        "$reg" export HKLM "$tmp/$1.hklm" /y >/dev/null 2>&1 || : >"$tmp/$1.hklm"
        "$reg" export HKCU "$tmp/$1.hkcu" /y >/dev/null 2>&1 || : >"$tmp/$1.hkcu"
}

unchanged() {
        snapshot after
        if ! cmp -s "$tmp/$1.hklm" "$tmp/after.hklm" || ! cmp -s "$tmp/$1.hkcu" "$tmp/after.hkcu"; then
                fail "the registry changed:"
                diff -a "$tmp/$1.hklm" "$tmp/after.hklm" | sed 's/^/    /' >&2
                diff -a "$tmp/$1.hkcu" "$tmp/after.hkcu" | sed 's/^/    /' >&2
        fi
}

OLE='HKLM\Software\Microsoft\Ole'
APP='{A0000000-1111-2222-3333-00000000000A}'
CLS='{C1000000-1111-2222-3333-000000000001}'
NOBODY=S-1-22-1-$(id -u nobody)
DAEMON=S-1-22-1-$(id -u daemon)

# ---- usage, help, version, man page ------------------------------------------------------

what='help'
run 0 --help && contains out 'Usage: dcomcnfg list' && empty err
for opt in list show set machine --grant-launch --deny-launch --revoke-launch --launch-sddl \
           --default-launch --grant-access --deny-access --revoke-access --access-sddl \
           --default-access --authn-level --run-as --run-as-launching-user --surrogate \
           --no-surrogate --remote-server --no-remote-server --name --enable-dcom \
           --enable-remote-connect --legacy-authn-level --legacy-imp-level --legacy-secure-refs \
           --require-integrity-activation --grant-launch-restriction --grant-access-restriction \
           --grant-default-launch --grant-default-access 'Exit status' Examples; do
        contains out "$opt"
done
# the options as the page reads, rendered (scdoc's man(7) output)
if command -v man >/dev/null 2>&1; then
        LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$manpage" 2>/dev/null | sed 's/\xe2\x80\x90/-/g' >"$tmp/manpage.txt"
        for opt in list show set machine --grant-launch --deny-launch --revoke-launch --launch-sddl \
                   --default-launch --grant-access --deny-access --revoke-access --access-sddl \
                   --default-access --authn-level --run-as --run-as-launching-user --surrogate \
                   --no-surrogate --remote-server --no-remote-server --name --enable-dcom \
                   --enable-remote-connect --legacy-authn-level --legacy-imp-level --legacy-secure-refs \
                   --require-integrity-activation --grant-launch-restriction --grant-access-restriction \
                   --grant-default-launch --grant-default-access 'EXIT STATUS' EXAMPLES; do
                grep -qiF -- "$opt" "$tmp/manpage.txt" || fail "the man page lacks $opt"
        done
fi
what='version'
run 0 --version && [ "$(cat "$tmp/out")" = "dcomcnfg (OpenDCOM) $version" ] || fail "version: $(cat "$tmp/out")"
what='usage errors: exit 2, the argument named, a pointer to --help'
run 2 && contains err 'a command is needed' && contains err "Try 'dcomcnfg --help'"
run 2 frob && contains err "unknown command 'frob'"
run 2 show && contains err 'show needs an APP'
run 2 set "$APP" && contains err 'no option says what to change'
run 2 set "$APP" --frob && contains err "unknown option '--frob'"
run 2 set "$APP" --grant-launch && contains err '--grant-launch needs a value'
run 2 machine --enable-dcom maybe && contains err "--enable-dcom 'maybe': Y or N"
run 2 list extra && contains err "'extra'"
what='the man page renders without warnings'
if command -v man >/dev/null 2>&1; then
        LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$manpage" >"$tmp/man" 2>"$tmp/manerr" ||
                fail "man -l failed"
        empty manerr
        grep -q 'EXIT STATUS' "$tmp/man" || fail "no EXIT STATUS section"
        passed=$((passed + 1))
else
        echo "man is not installed: the rendering check is skipped"
fi

# ---- the machine: Windows' defaults, seed 000 ----------------------------------------------

what='machine with nothing configured shows Windows defaults'
snapshot empty
run 0 machine &&
contains out "EnableDCOM: Y (not set: Windows' default)" &&
contains out "EnableRemoteConnect: Y (not set: Windows' default)" &&
contains out "LegacyAuthenticationLevel: connect (2) (not set: Windows' default)" &&
contains out "LegacyImpersonationLevel: identify (2) (not set: Windows' default)" &&
contains out "LegacySecureReferences: N (not set: Windows' default)" &&
contains out "RequireIntegrityActivationAuthenticationLevel: 1 (not set: Windows' default)" &&
contains out "MachineLaunchRestriction: not set: Windows' default" &&
contains out "DefaultAccessPermission: not set: Windows' default"
# learn.microsoft.com "MachineLaunchRestriction": Everyone local launch and activation only
block MachineLaunchRestriction
contains block 'allow  Everyone (S-1-1-0): local-launch, local-activation'
contains block '(S-1-5-32-544): local-launch, remote-launch, local-activation, remote-activation'
block MachineAccessRestriction
contains block '(S-1-5-7): local-access'
block DefaultLaunchPermission
contains block '(S-1-5-4): local-launch, remote-launch, local-activation, remote-activation'
what='showing writes nothing'
unchanged empty

what='seed 000: LegacyAuthenticationLevel 2 set with reg add is shown as connect'
regok add "$OLE" /v LegacyAuthenticationLevel /t REG_DWORD /d 2 /f
regok add "$OLE" /v LegacyImpersonationLevel /t REG_DWORD /d 2 /f
run 0 machine &&
contains out 'LegacyAuthenticationLevel: connect (2) (set in HKLM\Software\Microsoft\Ole)' &&
contains out 'LegacyImpersonationLevel: identify (2) (set in HKLM\Software\Microsoft\Ole)'
regok add "$OLE" /v LegacyAuthenticationLevel /t REG_DWORD /d 6 /f
run 0 machine && contains out 'LegacyAuthenticationLevel: privacy (6) (set in'

what='machine: the scalar settings'
run 0 machine --enable-dcom n --enable-remote-connect N --legacy-authn-level pkt \
        --legacy-imp-level impersonate --legacy-secure-refs Y --require-integrity-activation 0 &&
contains out 'set HKLM\Software\Microsoft\Ole EnableDCOM'
regok query "$OLE" /v EnableDCOM && contains reg 'REG_SZ    N'
regok query "$OLE" /v LegacyAuthenticationLevel && contains reg '0x4'
regok query "$OLE" /v LegacyImpersonationLevel && contains reg '0x3'
regok query "$OLE" /v LegacySecureReferences && contains reg 'REG_SZ    Y'
regok query "$OLE" /v RequireIntegrityActivationAuthenticationLevel && contains reg '0x0'
run 0 machine && contains out 'EnableDCOM: N (set in' && contains out 'impersonate (3)' &&
contains out 'RequireIntegrityActivationAuthenticationLevel: 0 (set in'
run 0 machine --legacy-authn-level default --legacy-imp-level 2 --enable-dcom Y \
        --enable-remote-connect Y --legacy-secure-refs N --require-integrity-activation 1
regno query "$OLE" /v LegacyAuthenticationLevel
regok query "$OLE" /v LegacyImpersonationLevel && contains reg '0x2'
what='machine: bad values are usage errors naming the value'
run 2 machine --legacy-authn-level 7 && contains err "--legacy-authn-level '7': not a level"
run 2 machine --legacy-imp-level cloak && contains err "'cloak'"
run 2 machine --require-integrity-activation yes && contains err "'yes': 0 or 1"

what='machine: a grant starts from the default and keeps what it gave'
run 0 machine --grant-launch-restriction "nobody:remote-launch,remote-activation" &&
contains out 'set HKLM\Software\Microsoft\Ole MachineLaunchRestriction'
run 0 machine && block MachineLaunchRestriction &&
contains block "MachineLaunchRestriction: set in HKLM" &&
contains block "nobody ($NOBODY): remote-launch, remote-activation" &&
contains block 'allow  Everyone (S-1-1-0): local-launch, local-activation' &&
contains block '(S-1-5-32-562): local-launch, remote-launch, local-activation, remote-activation'
what='machine: deny entries go before allow entries ([MS-DTYP] 2.4.5 canonical order)'
run 0 machine --deny-access-restriction 'daemon:remote-access'
run 0 machine && block MachineAccessRestriction &&
contains block "SDDL: O:BAG:BAD:(D;;CCLC;;;$DAEMON)(A;;CCDCLC;;;WD)" &&
contains block "deny   "
what='machine: revoke, SDDL and reset'
run 0 machine --revoke-access-restriction daemon
run 0 machine && block MachineAccessRestriction && lacks block "$DAEMON"
run 0 machine --default-launch-sddl 'O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDC;;;WD)'
run 0 machine && block DefaultLaunchPermission &&
contains block 'SDDL: O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDC;;;WD)' &&
contains block 'allow  Everyone (S-1-1-0): local-launch'
run 0 machine --reset-default-launch --reset-launch-restriction --reset-access-restriction
regno query "$OLE" /v DefaultLaunchPermission
regno query "$OLE" /v MachineLaunchRestriction
what='machine: DefaultAccessPermission from Windows default (SELF, SYSTEM, Administrators)'
run 0 machine --grant-default-access 'nobody:local-access'
run 0 machine && block DefaultAccessPermission &&
contains block '(S-1-5-10): local-access, remote-access' &&
contains block "($NOBODY): local-access"
run 0 machine --reset-default-access

# ---- an application --------------------------------------------------------------------------

regok add "HKCR\\AppID\\$APP" /ve /d 'Counter' /f
regok add "HKCR\\CLSID\\$CLS" /ve /d 'Counter Class' /f
regok add "HKCR\\CLSID\\$CLS" /v AppID /d "$APP" /f
regok add "HKCR\\CLSID\\$CLS\\LocalServer32" /ve /d '/opt/counter/bin/counter-server -v' /f
regok add 'HKCR\AppID\counter-server' /v AppID /d "$APP" /f

what='list: AppIDs with their names'
run 0 list && contains out "$APP  Counter" && lacks out 'counter-server'
what='show finds the application by AppID, name, executable and CLSID'
for x in "$APP" 'Counter' 'counter-server' "$CLS"; do
        run 0 show "$x" && contains out "AppID: $APP"
done
run 1 show 'no-such-app' && contains err "'no-such-app' is no AppID, application name, executable or CLSID"
run 1 show '{DEADBEEF-0000-0000-0000-000000000000}' && contains err 'no application'
what='show with nothing configured: the machine defaults and where they come from'
snapshot before
run 0 show Counter &&
contains out 'Name: Counter' &&
contains out "$CLS Counter Class; LocalServer32: /opt/counter/bin/counter-server -v" &&
contains out "HKCR\\AppID\\counter-server -> $APP: the server process /opt/counter/bin/counter-server finds these settings" &&
contains out "LaunchPermission: not set; the machine's DefaultLaunchPermission applies (not set there either: Windows' default)" &&
contains out "AccessPermission: not set; the machine's DefaultAccessPermission applies (not set there either" &&
contains out "AuthenticationLevel: not set; the machine's LegacyAuthenticationLevel applies: connect (2)" &&
contains out 'RunAs: not set; the server runs as the user who launches it' &&
contains out 'DllSurrogate: not set' &&
contains out 'Endpoints: not set; dynamic endpoints' &&
contains out 'RemoteServerName: not set' &&
lacks out 'NOT applied'
what='seed 003: viewing writes nothing'
unchanged before

what='set: a grant starts from the machine default and keeps what it gave'
run 0 set Counter --grant-launch 'nobody:local-launch,local-activation' &&
contains out "set HKCR\\AppID\\$APP LaunchPermission"
run 0 show Counter && block LaunchPermission &&
contains block "LaunchPermission: set in HKCR\\AppID\\$APP" &&
contains block "nobody ($NOBODY): local-launch, local-activation" &&
contains block '(S-1-5-32-544): local-launch, remote-launch, local-activation, remote-activation' &&
contains block '(S-1-5-18): local-launch, remote-launch, local-activation, remote-activation' &&
contains block '(S-1-5-4): local-launch, remote-launch, local-activation, remote-activation'
what='seed 003: custom access permission is written only when edited (a launch edit)'
regno query "HKCR\\AppID\\$APP" /v AccessPermission
what='set: a deny goes before the allow entries and takes the right from the allow entry'
run 0 set Counter --deny-launch 'nobody:local-activation' --deny-launch "daemon:remote-launch"
run 0 show Counter && block LaunchPermission &&
contains block "SDDL: O:BAG:BAD:(D;;CCSW;;;$NOBODY)(D;;CCLC;;;$DAEMON)(A;;" &&
contains block "allow  " && contains block "nobody ($NOBODY): local-launch" &&
lacks block "nobody ($NOBODY): local-launch, local-activation"
what='set: a grant takes the right from the deny entry'
run 0 set Counter --grant-launch 'daemon:remote-launch'
run 0 show Counter && block LaunchPermission && lacks block "(D;;CCLC;;;$DAEMON)" &&
contains block "daemon ($DAEMON): remote-launch"
what='set: revoke removes the principal'
run 0 set Counter --revoke-launch nobody --revoke-launch "$DAEMON"
run 0 show Counter && block LaunchPermission && lacks block "$NOBODY" && lacks block "$DAEMON"
what='set: several rights, SIDs, aliases and well-known names'
run 0 set "$APP" --grant-access 'Everyone:local-access' --grant-access 'S-1-5-32-562' \
        --deny-access 'AN:remote-access'
run 0 show "$APP" && block AccessPermission &&
contains block "AccessPermission: set in HKCR\\AppID\\$APP" &&
contains block 'allow  Everyone (S-1-1-0): local-access' &&
contains block '(S-1-5-32-562): local-access, remote-access' &&
contains block 'deny   ' && contains block '(S-1-5-7): remote-access' &&
contains block '(S-1-5-10): local-access, remote-access'
what='set: an unknown name is an error naming it, and changes nothing'
snapshot before
run 1 set Counter --grant-launch 'no-such-user-zz:local-launch' &&
contains err "'no-such-user-zz' names no user, group or SID"
unchanged before
what='set: a right of the wrong kind is a usage error naming it'
run 2 set Counter --grant-launch 'nobody:local-access' &&
contains err "'local-access' is not a launch right"
run 2 set Counter --grant-access 'nobody:' && contains err "no right after the ':'"
run 2 set Counter --deny-access 'nobody:local-access,,remote-access' && contains err "'' is not an access right"
run 2 machine --revoke-default-launch ':local-launch' && contains err "no user or group name"
unchanged before

what='set: SDDL, validated; default removes the value'
run 0 set Counter --launch-sddl 'O:BAG:BAD:(A;;CCDCLCSWRP;;;WD)'
run 0 show Counter && block LaunchPermission &&
contains block 'SDDL: O:BAG:BAD:(A;;CCDCLCSWRP;;;WD)' &&
contains block 'allow  Everyone (S-1-1-0): local-launch, remote-launch, local-activation, remote-activation'
run 1 set Counter --launch-sddl 'O:BAG:BAD:(A;;DC;;;WD)' && contains err 'has no CC (COM_RIGHTS_EXECUTE)'
run 1 set Counter --access-sddl 'D:(bogus' && contains err "--access-sddl 'D:(bogus': not valid SDDL"
run 0 set Counter --default-launch && contains out "removed HKCR\\AppID\\$APP LaunchPermission"
regno query "HKCR\\AppID\\$APP" /v LaunchPermission
what='set: legacy descriptors (bare COM_RIGHTS_EXECUTE) read as every right and rewritten'
run 0 set Counter --launch-sddl 'O:BAG:BAD:(A;;CC;;;WD)(A;;CC;;;BA)'
run 0 set Counter --deny-launch 'Everyone:remote-launch'
run 0 show Counter && block LaunchPermission &&
contains block 'SDDL: O:BAG:BAD:(D;;CCLC;;;WD)(A;;CCDCSWRP;;;WD)(A;;CCDCLCSWRP;;;BA)'
run 0 set Counter --default-launch

what='set: a malformed descriptor in the registry is shown as admitting no one and not edited'
regok add "HKCR\\AppID\\$APP" /v LaunchPermission /t REG_BINARY /d 0100048014000000 /f
run 0 show Counter && contains out 'but not a valid security descriptor: no one is admitted'
run 1 set Counter --grant-launch nobody && contains err 'is not a valid security descriptor'
run 0 set Counter --default-launch
what='set: no DACL (everyone) -- a deny makes Everyone explicit'
run 2 set Counter --launch-sddl '' && contains err 'the value is empty'
run 0 set Counter --launch-sddl 'O:BAG:BA' && contains out 'has no DACL: everyone gets every right'
run 0 show Counter && block LaunchPermission && contains block 'allow  everyone: every right (no DACL)'
run 0 set Counter --grant-launch nobody && contains out 'no change'
run 0 set Counter --deny-launch 'nobody:remote-launch'
run 0 show Counter && block LaunchPermission &&
contains block "SDDL: O:BAG:BAD:(D;;CCLC;;;$NOBODY)(A;;CCDCLCSWRP;;;WD)"
run 0 set Counter --default-launch
what='set: a grant starts from the machine DefaultLaunchPermission when it is set'
run 0 machine --default-launch-sddl 'O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;S-1-5-32-562)'
run 0 show Counter && contains out "LaunchPermission: not set; the machine's DefaultLaunchPermission applies (set in HKLM"
run 0 set Counter --grant-launch 'nobody:remote-activation'
run 0 show Counter && block LaunchPermission &&
contains block "SDDL: O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;S-1-5-32-562)(A;;CCRP;;;$NOBODY)"
run 0 set Counter --default-launch && run 0 machine --reset-default-launch
what='show: a class with no AppID and no LocalServer32 is no application'
CI='{C1110000-0000-0000-0000-0000000000C1}'
regok add "HKCR\\CLSID\\$CI\\InprocServer32" /ve /d '/usr/lib/x.so' /f
run 1 show "$CI" && contains err "class $CI has no AppID value and no LocalServer32"
what='show: a name two applications have is ambiguous'
regok add 'HKCR\AppID\{E1000000-0000-0000-0000-0000000000E1}' /ve /d 'Twin' /f
regok add 'HKCR\AppID\{E2000000-0000-0000-0000-0000000000E2}' /ve /d 'Twin' /f
run 1 show Twin && contains err "'Twin' names more than one application"
regok delete 'HKCR\AppID\{E1000000-0000-0000-0000-0000000000E1}' /f
regok delete 'HKCR\AppID\{E2000000-0000-0000-0000-0000000000E2}' /f

what='set: authentication level, RunAs, surrogate, remote server, name'
run 0 set Counter --authn-level pkt-privacy --run-as nobody --surrogate --remote-server host1
regok query "HKCR\\AppID\\$APP" /v AuthenticationLevel && contains reg '0x6'
regok query "HKCR\\AppID\\$APP" /v RunAs && contains reg 'nobody'
regok query "HKCR\\AppID\\$APP" /v DllSurrogate && contains reg 'REG_SZ'
regok query "HKCR\\AppID\\$APP" /v RemoteServerName && contains reg 'host1'
run 0 show Counter && contains out "AuthenticationLevel: privacy (6) (set in HKCR\\AppID\\$APP)" &&
contains out 'RunAs: nobody' && contains out 'DllSurrogate: "" (the default surrogate' &&
contains out 'RemoteServerName: host1'
run 0 set Counter --authn-level 2 --run-as 'interactive user' --surrogate /usr/lib/x/surrogate
regok query "HKCR\\AppID\\$APP" /v RunAs && contains reg 'Interactive User'
regok query "HKCR\\AppID\\$APP" /v AuthenticationLevel && contains reg '0x2'
run 0 show Counter && contains out 'DllSurrogate: /usr/lib/x/surrogate'
run 0 set Counter --authn-level default --run-as-launching-user --no-surrogate --no-remote-server \
        --name 'Counter App'
regno query "HKCR\\AppID\\$APP" /v AuthenticationLevel
regno query "HKCR\\AppID\\$APP" /v RunAs
regno query "HKCR\\AppID\\$APP" /v DllSurrogate
regno query "HKCR\\AppID\\$APP" /v RemoteServerName
run 0 list && contains out "$APP  Counter App"
what='set: bad values'
run 2 set "$APP" --authn-level 9 && contains err "--authn-level '9': not a level"
run 2 set "$APP" --authn-level bogus && contains err "'bogus'"
run 2 set "$APP" --surrogate=relative/path && contains err 'absolute path'
run 0 set "$APP" --surrogate=/usr/lib/y/surrogate && run 0 show "$APP" &&
contains out 'DllSurrogate: /usr/lib/y/surrogate' && run 0 set "$APP" --no-surrogate
run 1 set "$APP" --run-as no-such-user-zz && contains err "--run-as 'no-such-user-zz': no such user"

what='set: all or nothing -- the second option fails, the first is not kept'
snapshot before
run 1 set "$APP" --grant-launch 'nobody:local-launch' --grant-access 'no-such-user-zz' &&
contains err 'nothing was changed'
unchanged before
run 2 set "$APP" --name 'Other' --authn-level bogus
unchanged before
run 1 set "$APP" --name 'Other' --launch-sddl 'O:BAG:BAD:(A;;CC' && contains err 'not valid SDDL'
unchanged before
run 1 machine --enable-dcom N --grant-access-restriction 'no-such-user-zz'
unchanged before

what='seed 003: custom access permission is written only when edited (no change)'
regok delete "HKCR\\AppID\\$APP" /v AccessPermission /f
snapshot before
# the default already gives Administrators local access: nothing to write
run 0 set "$APP" --grant-access 'BUILTIN\Administrators:local-access' && contains out 'no change'
run 0 set "$APP" --revoke-access 'nobody' && contains out 'no change'
run 0 set "$APP" --name 'Counter App' && contains out 'no change'
unchanged before
regno query "HKCR\\AppID\\$APP" /v AccessPermission
run 0 set "$APP" --access-sddl 'O:BAG:BAD:(A;;CCDCLC;;;WD)'
snapshot before
run 0 set "$APP" --access-sddl 'O:BAG:BAD:(A;;CCDCLC;;;WD)' && contains out 'no change'
run 0 set "$APP" --grant-access 'Everyone' && contains out 'no change'
run 0 show "$APP"
unchanged before

what='reg export of an edited AppID round-trips, with hex: descriptors'
run 0 set "$APP" --grant-launch 'nobody:local-launch' --authn-level connect --run-as nobody
regok export "HKCR\\AppID\\$APP" "$tmp/app.reg" /y
iconv -f UTF-16LE -t UTF-8 "$tmp/app.reg" 2>/dev/null | tr -d '\r' >"$tmp/app.txt" || cp "$tmp/app.reg" "$tmp/app.txt"
contains app.txt 'Windows Registry Editor Version 5.00' &&
contains app.txt '"LaunchPermission"=hex:01,00,04,80,' &&
contains app.txt '"AccessPermission"=hex:01,00,04,80,' &&
contains app.txt '"AuthenticationLevel"=dword:00000002' &&
contains app.txt '"RunAs"="nobody"'
run 0 show "$APP" && cp "$tmp/out" "$tmp/show-before"
regok delete "HKCR\\AppID\\$APP" /f
regno query "HKCR\\AppID\\$APP"
regok import "$tmp/app.reg"
regok export "HKCR\\AppID\\$APP" "$tmp/app2.reg" /y
cmp -s "$tmp/app.reg" "$tmp/app2.reg" || fail "export -> import -> export differs"
run 0 show "$APP" && { cmp -s "$tmp/show-before" "$tmp/out" || fail "show differs after the round trip"; }

# ---- seed 003 (KB Q246054): legacy servers and the executable mapping --------------------------

L1='{11000000-0000-0000-0000-000000000001}'
L2='{22000000-0000-0000-0000-000000000002}'
what='seed 003: the executable name is matched in the form LocalServer32 names it'
# added in the opposite order of the registry's (sorted) order: "first" is the order
# DCOMCNFG meets them in, HKCR\CLSID's enumeration
regok add "HKCR\\CLSID\\$L2\\LocalServer32" /ve /d '"/opt/Legacy Apps/Legacy Long Server" -Embedding' /f
regok add "HKCR\\CLSID\\$L1\\LocalServer32" /ve /d '"/opt/Legacy Apps/Legacy Long Server"' /f
regok add "HKCR\\CLSID\\$L1" /ve /d 'Legacy Class' /f
run 0 list && contains out "$L1  Legacy Class  (legacy server /opt/Legacy Apps/Legacy Long Server: no AppID)" &&
lacks out "$L2"
run 0 show 'Legacy Long Server' && contains out "AppID: $L1"
what='seed 003: without the mapping, show says the application settings are NOT applied'
contains out 'HKCR\AppID\Legacy Long Server does not exist' &&
contains out 'are NOT applied to the server process' &&
contains out "Key: HKCR\\AppID\\$L1 does not exist: this is a legacy server"
what='seed 003: a set that changes nothing synthesizes nothing'
snapshot before
run 0 set "$L2" --grant-launch 'BUILTIN\Administrators' && contains out 'no change'
run 1 set "$L2" --name 'Legacy' --grant-access 'no-such-user-zz'
unchanged before
what='seed 003: an AppID is synthesized from the first CLSID, every CLSID names it, the mapping is added'
run 0 set "$L2" --grant-access 'nobody:local-access' &&
contains out "created HKCR\\AppID\\$L1 for the legacy server" &&
contains out 'set HKCR\AppID\Legacy Long Server AppID (the executable mapping)'
regok query "HKCR\\AppID\\$L1" /ve && contains reg 'Legacy Class'
regok query "HKCR\\AppID\\$L1" /v AccessPermission
regno query "HKCR\\AppID\\$L1" /v LaunchPermission
regok query "HKCR\\CLSID\\$L1" /v AppID && contains reg "$L1"
regok query "HKCR\\CLSID\\$L2" /v AppID && contains reg "$L1"
regok query 'HKCR\AppID\Legacy Long Server' /v AppID && contains reg "$L1"
regno query "HKCR\\AppID\\$L2"
run 0 show 'Legacy Long Server' && contains out "AppID: $L1" &&
contains out "HKCR\\AppID\\Legacy Long Server -> $L1: the server process" && lacks out 'NOT applied'
run 0 list && lacks out 'legacy server'

what='seed 003: no mapping is added when the CLSID has an AppID value'
B='{B1000000-0000-0000-0000-00000000000B}'
CB='{CB000000-0000-0000-0000-00000000000B}'
regok add "HKCR\\CLSID\\$CB\\LocalServer32" /ve /d '/opt/b/b-server' /f
regok add "HKCR\\CLSID\\$CB" /v AppID /d "$B" /f
run 0 set b-server --authn-level call
regok query "HKCR\\AppID\\$B" /v AuthenticationLevel && contains reg '0x3'
regno query 'HKCR\AppID\b-server'
regno query "HKCR\\AppID\\$CB"
run 0 show b-server && contains out 'HKCR\AppID\b-server does not exist' && contains out 'NOT applied' &&
contains out "AuthenticationLevel: call (3) (set in HKCR\\AppID\\$B) -- NOT applied"
regok add "HKCR\\AppID\\$B" /v Endpoints /t REG_MULTI_SZ /d 'ncacn_ip_tcp,0,5000\0ncalrpc,0,b' /f
run 0 show b-server &&
contains out "Endpoints: ncacn_ip_tcp,0,5000; ncalrpc,0,b (set in HKCR\\AppID\\$B) -- NOT applied"

what='seed 003: no mapping is added when HKCR\AppID\{clsid} exists'
CC='{CC000000-0000-0000-0000-00000000000C}'
regok add "HKCR\\CLSID\\$CC\\LocalServer32" /ve /d '/opt/c/c-server' /f
regok add "HKCR\\AppID\\$CC" /ve /d 'C' /f
run 0 set c-server --run-as nobody
regok query "HKCR\\AppID\\$CC" /v RunAs
regno query 'HKCR\AppID\c-server'
regno query "HKCR\\CLSID\\$CC" /v AppID

what='seed 003: no mapping is added when HKCR\AppID\<exe> exists'
D='{D1000000-0000-0000-0000-00000000000D}'
CD='{CD000000-0000-0000-0000-00000000000D}'
regok add "HKCR\\CLSID\\$CD\\LocalServer32" /ve /d '/opt/d/d-server' /f
regok add 'HKCR\AppID\d-server' /v AppID /d "$D" /f
run 0 show "$CD" && contains out "AppID: $D"
run 0 set "$CD" --remote-server hostd
regok query "HKCR\\AppID\\$D" /v RemoteServerName && contains reg 'hostd'
regno query "HKCR\\AppID\\$CD"
regno query "HKCR\\CLSID\\$CD" /v AppID
regok query 'HKCR\AppID\d-server' /v AppID && contains reg "$D"

what='seed 003: a mapping under another name than LocalServer32 writes does not apply'
S='{5E000000-0000-0000-0000-00000000005E}'
CS='{C5000000-0000-0000-0000-00000000005E}'
regok add "HKCR\\AppID\\$S" /ve /d 'Short' /f
regok add "HKCR\\CLSID\\$CS" /v AppID /d "$S" /f
regok add "HKCR\\CLSID\\$CS\\LocalServer32" /ve /d '/opt/s/long-server-name --serve' /f
regok add 'HKCR\AppID\longse~1' /v AppID /d "$S" /f
run 0 show Short && contains out 'HKCR\AppID\long-server-name does not exist' &&
contains out 'HKCR\AppID\longse~1 -> '"$S"', but no LocalServer32 starts a program of that name' &&
contains out 'NOT applied'
regok add 'HKCR\AppID\long-server-name' /v AppID /d "$S" /f
run 0 show Short && lacks out 'NOT applied'

# ---- the settings model's refusals name dcomcnfg commands that grant what was refused ------

# follow KIND WHERE UID APPID : checks, and while refused runs the dcomcnfg command the
# refusal names; the commands go to $tmp/steps.
follow() {
        : >"$tmp/steps"
        n=0
        while [ "$n" -lt 6 ]; do
                "$check" "$@" >"$tmp/check" 2>&1
                st=$?
                [ "$st" -eq 0 ] && return 0
                if [ "$st" -ne 1 ]; then
                        fail "dcomcnfg-check $*: $(cat "$tmp/check")"
                        return 1
                fi
                cmd=$(sed -n 's/.*to allow: .*dcomcnfg //p' "$tmp/check")
                if [ -z "$cmd" ]; then
                        fail "no dcomcnfg command in the refusal: $(cat "$tmp/check")"
                        return 1
                fi
                printf '%s\n' "$cmd" >>"$tmp/steps"
                eval "run 0 $cmd" || return 1
                n=$((n + 1))
        done
        fail "dcomcnfg-check $*: still refused after 6 commands"
        return 1
}

# steps N PATTERN... : $tmp/steps has N lines, line i matching PATTERN i (a grep -E pattern).
steps() {
        want=$1
        shift
        if [ "$(wc -l <"$tmp/steps")" -ne "$want" ]; then
                fail "expected $want commands, ran:"
                sed 's/^/    /' "$tmp/steps" >&2
                return 1
        fi
        i=1
        for pat in "$@"; do
                sed -n "${i}p" "$tmp/steps" | grep -qE -- "$pat" ||
                        fail "command $i is not /$pat/: $(sed -n "${i}p" "$tmp/steps")"
                i=$((i + 1))
        done
}

K='{A7000000-0000-0000-0000-0000000000A7}'
NOAPP='{A8000000-0000-0000-0000-0000000000A8}'
NB=$(id -u nobody)
regok add "HKCR\\AppID\\$K" /ve /d 'Contract' /f
what='contract: a local launch by an interactive user is allowed by Windows defaults'
follow launch local "$NB" "$K" && steps 0
what='contract: EnableDCOM N, then the launch restriction, then the launch permission'
run 0 machine --enable-dcom N
follow launch remote "$NB" "$K" &&
steps 3 '^machine --enable-dcom Y$' \
        "^machine --grant-launch-restriction '[^']*nobody:remote-launch'\$" \
        "^set \\$K --grant-launch '[^']*nobody:remote-launch'\$"
what='contract: remote activation, then local and remote access'
follow activate remote "$NB" "$K" &&
steps 2 "^machine --grant-launch-restriction '[^']*nobody:remote-activation'\$" \
        "^set \\$K --grant-launch '[^']*nobody:remote-activation'\$"
follow access local "$NB" "$K" && steps 1 "^set \\$K --grant-access '[^']*nobody:local-access'\$"
follow access remote "$NB" "$K" && steps 1 "--grant-access '[^']*nobody:remote-access'\$"
what='contract: the grants took nothing from the defaults (root still launches and calls)'
follow launch remote 0 "$K" && steps 0
follow access remote 0 "$K" && steps 0
what='contract: the access restriction, named when it refuses'
run 0 machine --deny-access-restriction 'nobody:remote-access'
follow access remote "$NB" "$K" &&
steps 1 "^machine --grant-access-restriction '[^']*nobody:remote-access'\$"
what='contract: without an AppID, the machine default launch permission'
follow launch remote "$NB" "$NOAPP" &&
steps 1 "^machine --grant-default-launch '[^']*nobody:remote-launch'\$"
what='contract: EnableRemoteConnect N refuses remote launches and is named'
run 0 machine --enable-remote-connect N
follow launch remote "$NB" "$K" && steps 1 '^machine --enable-remote-connect Y$'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
