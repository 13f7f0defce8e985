#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# reg driven as a user would, against a registry of its own (OPENDCOM_ROOT=$(mktemp -d)):
# add, query (plain, /v, /ve, /s, /f), delete, copy, export and import, with their
# output, messages, exit codes and prompts; the golden .reg files in tests/data; and
# export -> import -> export giving the same bytes in both formats.
# Prompts are answered on a terminal (tests/pty-stdin.py); without one reg must refuse.
#     test-reg-tool.sh PATH_TO_REG [VERSION]
set -u

reg=${1:?usage: test-reg-tool.sh PATH_TO_REG [VERSION]}
version=${2:-}
pty_stdin=$(dirname "$0")/pty-stdin.py
data=${TEST_DATA_DIR:-$(dirname "$0")/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OPENDCOM_ROOT=$tmp/root
export OPENDCOM_ROOT
mkdir "$OPENDCOM_ROOT"
failed=0
passed=0
what=

fail() {
        echo "FAIL: $what: $*" >&2
        failed=$((failed + 1))
}

# run EXPECTED_STATUS ARGS... : runs reg with stdin from /dev/null; stdout and stderr
# go to $tmp/out and $tmp/err.
run() {
        want=$1
        shift
        "$reg" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
        check_status "$want" "$@"
}

# answer TEXT EXPECTED_STATUS ARGS... : the same with a terminal on stdin where TEXT is
# typed (a prompt's answer), then end of input.
answer() {
        text=$1
        want=$2
        shift 2
        /usr/bin/python3 "$pty_stdin" "$text" "$reg" "$@" >"$tmp/out" 2>"$tmp/err"
        check_status "$want" "$@"
}

# piped TEXT EXPECTED_STATUS ARGS... : TEXT on stdin through a pipe (no terminal).
piped() {
        text=$1
        want=$2
        shift 2
        printf '%s\n' "$text" | "$reg" "$@" >"$tmp/out" 2>"$tmp/err"
        check_status "$want" "$@"
}

check_status() {
        got=$?
        want=$1
        shift
        if [ "$got" -ne "$want" ]; then
                fail "reg $*: exit status $got, expected $want"
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

success() {
        expect out <<'EOF'
The operation completed successfully.
EOF
        empty err
}

syntax_error() {
        expect err <<EOF
ERROR: Invalid syntax.
Type "REG $1/?" for usage.
EOF
        empty out
}

not_found() {
        expect err <<'EOF'
ERROR: The system was unable to find the specified registry key or value.
EOF
}

K='HKCU\Software\RegTool'

# ---- usage ---------------------------------------------------------------------------

what='reg /?'
run 0 '/?' && grep -q '^REG Operation \[Parameter List\]$' "$tmp/out" || fail "no usage"
what='reg with no operation'
run 1 && expect err <<'EOF'
ERROR: Invalid syntax.
Type "REG /?" for usage.
EOF
what='unknown operation'
run 1 frobnicate && syntax_error ""
what='reg query /?'
run 0 query '/?' && grep -q '^REG QUERY KeyName' "$tmp/out" || fail "no query usage"
what='reg add -H'
run 0 ADD -H && grep -q '^REG ADD KeyName' "$tmp/out" || fail "no add usage"
what='help with other arguments'
run 1 query '/?' /s && syntax_error "QUERY "

# ---- add -----------------------------------------------------------------------------

what='add a string'
run 0 add "$K" /v Str /d 'Hello, World' /f && success
what='add every type'
run 0 add "$K" /v Num /t REG_DWORD /d 0x123 /f &&
run 0 add "$K" /v Dec /t reg_dword /d 0123 /f &&
run 0 add "$K" /v Big /t REG_QWORD /d 0x123456789abcdef /f &&
run 0 add "$K" /v Minus /t REG_QWORD /d -1 /f &&
run 0 add "$K" /v Bin /t REG_BINARY /d DeAdBeEf0DD /f &&
run 0 add "$K" /v Multi /t REG_MULTI_SZ /d 'a\0b\0c' /f &&
run 0 add "$K" /v Hash /t REG_MULTI_SZ /s '#' /d 'x#y#' /f &&
run 0 add "$K" /v Path /t REG_EXPAND_SZ /d '%HOME%\bin' /f &&
run 0 add "$K" /v Nothing /t REG_NONE /f &&
run 0 add "$K" /ve /d 'the default' /f &&
run 0 add "$K\Sub\Deeper\\" /v x /d y /f &&
run 0 add "$K\Other" /v Empty /d '' -f /reg:64
what='add: bad data and bad usage'
run 1 add "$K" /v n /t REG_DWORD /d zzz /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_DWORD /d 4294967296 /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_DWORD /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_DWORD /d -1 /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_BINARY /d 0xab /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_MULTI_SZ /d 'a\0\0b' /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_MULTI_SZ /s '##' /d 'a' /f && syntax_error "ADD "
run 1 add "$K" /v n /t REG_NOPE /d x /f && syntax_error "ADD "
run 1 add "$K" /v n /ve /f && syntax_error "ADD "
run 1 add "$K" /v n /v m /f && syntax_error "ADD "
run 1 add "$K" /f /f && syntax_error "ADD "
run 1 add "$K" /v && syntax_error "ADD "
run 1 add "$K" /v n /reg:32 /reg:64 && syntax_error "ADD "
what='add: bad key names'
for key in 'HKXX\Software' 'HKCU\' 'HKCU' '\HKCU\Software' '\\machine\HKLM\Software' \
           'HKCU\a\\b' 'HKCU\a\\'; do
        run 1 add "$key" /f && expect err <<'EOF'
ERROR: Invalid key name.
Type "REG ADD /?" for usage.
EOF
done

# ---- query ---------------------------------------------------------------------------

what='query a key'
run 0 query "$K" && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Str    REG_SZ    Hello, World
    Num    REG_DWORD    0x123
    Dec    REG_DWORD    0x7b
    Big    REG_QWORD    0x123456789abcdef
    Minus    REG_QWORD    0xffffffffffffffff
    Bin    REG_BINARY    0DEADBEEF0DD
    Multi    REG_MULTI_SZ    a\0b\0c
    Hash    REG_MULTI_SZ    x\0y
    Path    REG_EXPAND_SZ    %HOME%\bin
    Nothing    REG_NONE    0000
    (Default)    REG_SZ    the default

HKEY_CURRENT_USER\Software\RegTool\Other
HKEY_CURRENT_USER\Software\RegTool\Sub
EOF
what='query with the long root name, in another case (printed as typed, as reg.exe does)'
run 0 query 'hkey_current_user\SOFTWARE\regtool\sub' && expect out <<'EOF'

HKEY_CURRENT_USER\SOFTWARE\regtool\sub\Deeper
EOF
what='reg add KEY alone sets the default value to an empty string, as reg.exe does'
run 0 add "$K\Empty" && success
run 0 query "$K\Empty" && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Empty
    (Default)    REG_SZ    

EOF
run 0 delete "$K\Empty" /f
what='query /v'
run 0 query "$K" /v Num && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Num    REG_DWORD    0x123

EOF
what='query /ve'
run 0 query "$K" /ve && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    (Default)    REG_SZ    the default

EOF
what='query /ve on a key without a default value'
run 0 query "$K\Sub" /ve && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Sub
    (Default)    REG_SZ    (value not set)

EOF
what='query /v of a missing value'
run 1 query "$K" /v Missing && not_found && empty out
what='query a missing key'
run 1 query 'HKCU\Software\Missing' && not_found && empty out
what='query /s'
run 0 query "$K\Sub" /s && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Sub\Deeper
    x    REG_SZ    y

EOF
what='query /s /v'
run 0 query "$K" /s /v x && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Sub\Deeper
    x    REG_SZ    y

End of search: 1 match(es) found.
EOF
what='query /f'
run 0 query "$K" /s /f Deep && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Sub\Deeper

End of search: 1 match(es) found.
EOF
run 0 query "$K" /f 'hello*' && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Str    REG_SZ    Hello, World

End of search: 1 match(es) found.
EOF
run 0 query "$K" /f 0x123 /d /e && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Num    REG_DWORD    0x123

End of search: 1 match(es) found.
EOF
run 0 query "$K" /f B /v /c && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Big    REG_QWORD    0x123456789abcdef
    Bin    REG_BINARY    0DEADBEEF0DD

End of search: 2 match(es) found.
EOF
run 1 query "$K" /s /f nowhere && expect out <<'EOF'

End of search: 0 match(es) found.
EOF
what='query /t and /se'
run 0 query "$K" /t REG_MULTI_SZ,REG_EXPAND_SZ /se '|' && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool
    Multi    REG_MULTI_SZ    a|b|c
    Hash    REG_MULTI_SZ    x|y
    Path    REG_EXPAND_SZ    %HOME%\bin

HKEY_CURRENT_USER\Software\RegTool\Other
HKEY_CURRENT_USER\Software\RegTool\Sub
EOF
what='query: bad usage'
run 1 query "$K" /v && syntax_error "QUERY "
run 1 query "$K" /v a /ve && syntax_error "QUERY "
run 1 query "$K" /s /s && syntax_error "QUERY "
run 1 query "$K" /k && syntax_error "QUERY "
run 1 query "$K" /zz && syntax_error "QUERY "
run 1 query "$K" /reg:32 /reg:32 && syntax_error "QUERY "
run 0 query "$K\Other" /reg:32

# ---- prompts -------------------------------------------------------------------------

what='overwrite answered no'
answer n 0 add "$K" /v Str /d changed && expect out <<'EOF'
Value Str exists, overwrite(Yes/No)? 
The operation was canceled by the user.
EOF
run 0 query "$K" /v Str && grep -q '    Str    REG_SZ    Hello, World' "$tmp/out" || fail "value changed"
what='overwrite without /f and without a terminal: refused, exit 1 (reg.exe /f rule)'
run 1 add "$K" /v Str /d changed && empty out && expect err <<'EOF'
ERROR: Value Str exists, overwrite? Standard input is not a terminal, so reg cannot ask: nothing was changed (/f answers yes without asking).
EOF
what='overwrite with "y" piped in: still no terminal, still refused'
piped y 1 add "$K" /v Str /d changed && empty out &&
        grep -q 'Standard input is not a terminal' "$tmp/err" || fail "not refused"
run 0 query "$K" /v Str && grep -q '    Str    REG_SZ    Hello, World' "$tmp/out" || fail "value changed"
what='overwrite answered maybe, then nothing (a terminal: asks again, then cancels)'
answer maybe 0 add "$K" /v Str /d changed && expect out <<'EOF'
Value Str exists, overwrite(Yes/No)? 
Value Str exists, overwrite(Yes/No)? 
The operation was canceled by the user.
EOF
what='overwrite answered yes'
answer Yes 0 add "$K" /v Str /d changed && expect out <<'EOF'
Value Str exists, overwrite(Yes/No)? 
The operation completed successfully.
EOF
run 0 query "$K" /v Str && grep -q '    Str    REG_SZ    changed' "$tmp/out" || fail "value unchanged"
what='overwrite of the default value'
answer y 0 add "$K" /d newdefault && grep -q '^Value (Default) exists, overwrite(Yes/No)? $' "$tmp/out" ||
        fail "no prompt"

# ---- delete --------------------------------------------------------------------------

what='delete a value, answered no then yes'
answer no 0 delete "$K" /v Dec && expect out <<'EOF'
Delete the registry value Dec (Yes/No)? 
The operation was canceled by the user.
EOF
answer y 0 delete "$K" /v Dec && expect out <<'EOF'
Delete the registry value Dec (Yes/No)? 
The operation completed successfully.
EOF
run 1 query "$K" /v Dec
what='delete a missing value or key'
run 1 delete "$K" /v Dec /f && not_found
run 1 delete 'HKCU\Software\Missing' /f && not_found
what='delete the default value'
run 0 delete "$K" /ve /f && success
run 0 query "$K" /ve && grep -q '(value not set)' "$tmp/out" || fail "default value still set"
what='delete all values'
run 0 add "$K\Other" /v a /d 1 /f && run 0 add "$K\Other\Kid" /v b /d 2 /f
answer y 0 delete "$K\Other" /va && expect out <<'EOF'
Delete all values under the registry key HKEY_CURRENT_USER\Software\RegTool\Other (Yes/No)? 
The operation completed successfully.
EOF
run 0 query "$K\Other" /s && expect out <<'EOF'

HKEY_CURRENT_USER\Software\RegTool\Other\Kid
    b    REG_SZ    2

EOF
what='delete a key'
answer n 0 delete "$K\Other" && expect out <<'EOF'
Permanently delete the registry key HKEY_CURRENT_USER\Software\RegTool\Other (Yes/No)? 
The operation was canceled by the user.
EOF
what='delete a key without /f and without a terminal: refused'
run 1 delete "$K\Other" && empty out && expect err <<'EOF'
ERROR: Permanently delete the registry key HKEY_CURRENT_USER\Software\RegTool\Other? Standard input is not a terminal, so reg cannot ask: nothing was changed (/f answers yes without asking).
EOF
run 0 query "$K\Other"
run 0 delete "$K\Other" /f && success
run 1 query "$K\Other" && not_found
what='delete: bad usage'
run 1 delete "$K" /v a /va && syntax_error "DELETE "
run 1 delete HKCU /f && expect err <<'EOF'
ERROR: Invalid key name.
Type "REG DELETE /?" for usage.
EOF

# ---- copy ----------------------------------------------------------------------------

what='copy values only'
run 0 copy "$K" 'HKCU\Software\RegCopy' /f && success
run 0 query 'HKCU\Software\RegCopy' && ! grep -q 'RegCopy\\Sub' "$tmp/out" &&
        grep -q '    Big    REG_QWORD    0x123456789abcdef' "$tmp/out" || fail "copy /f wrong"
what='copy /s'
run 0 copy "$K" 'HKCU\Software\RegCopy' /s /f && success
run 0 query 'HKCU\Software\RegCopy\Sub\Deeper' /v x
what='copy without /f, answered no: nothing changes'
run 0 add "$K" /v Str /d again /f
answer n 0 copy "$K" 'HKCU\Software\RegCopy' /s && grep -q 'canceled by the user' "$tmp/out" ||
        fail "not canceled"
run 0 query 'HKCU\Software\RegCopy' /v Str && grep -q 'REG_SZ    changed$' "$tmp/out" ||
        fail "copy was not rolled back"
what='copy without /f and without a terminal: refused, nothing changes'
run 1 copy "$K" 'HKCU\Software\RegCopy' /s && empty out &&
        grep -q '^ERROR: Value Str exists, overwrite? Standard input is not a terminal' "$tmp/err" ||
        fail "not refused"
run 0 query 'HKCU\Software\RegCopy' /v Str && grep -q 'REG_SZ    changed$' "$tmp/out" ||
        fail "copy changed the target"
what='copy onto itself or below itself'
run 1 copy "$K" "$K" /f
run 1 copy "$K" "$K\Sub\New" /s /f
run 1 query "$K\Sub\New"
what='copy from a missing key'
run 1 copy 'HKCU\Software\Missing' 'HKCU\Software\RegCopy2' /f && not_found

# ---- import: golden files ------------------------------------------------------------

what='import the version 5 golden file (UTF-16LE, BOM, CRLF)'
run 0 import "$data/regfile-v5.reg" && success
run 0 query 'HKCU\Software\OpenDCOM-Golden' /s && expect out <<'EOF'

HKEY_CURRENT_USER\Software\OpenDCOM-Golden
    (Default)    REG_SZ    Default value
    String    REG_SZ    Hello, World
    Escapes    REG_SZ    back\slash and "quotes"
    Empty    REG_SZ    
    Unicode    REG_SZ    Grüße – ☃ 𝄞
    Dword    REG_DWORD    0xabcd
    DwordMax    REG_DWORD    0xffffffff
    Binary    REG_BINARY    DEADBEEF0001
    EmptyBinary    REG_BINARY    
    None    REG_NONE    560061006C000000
    Expand    REG_EXPAND_SZ    %HOME%\bin
    Multi    REG_MULTI_SZ    Line1\0Line2
    Qword    REG_QWORD    0x123456789abcdef
    BigEndian    REG_DWORD_BIG_ENDIAN    0x4030201
    Custom    0x100    25504154482500
    ShortDword    REG_DWORD    0102
    SzNoNul    REG_SZ    AB
    name with "quotes" and \    REG_SZ    value

HKEY_CURRENT_USER\Software\OpenDCOM-Golden\Sub Key
    Wrapped    REG_BINARY    0102030405
    Indented    REG_SZ    leading blanks are fine

HKEY_CURRENT_USER\Software\OpenDCOM-Golden\Sub Key\Deeper
    Path    REG_SZ    C:\Program Files\OpenDCOM

EOF
what='import the REGEDIT4 golden file (UTF-8)'
run 0 import "$data/regfile-v4.reg" && success
run 0 query 'HKCU\Software\OpenDCOM-Golden4' /s && expect out <<'EOF'

HKEY_CURRENT_USER\Software\OpenDCOM-Golden4
    (Default)    REG_SZ    Default
    String    REG_SZ    Grüße
    Dword    REG_DWORD    0x1
    Expand    REG_EXPAND_SZ    %HOME%
    Multi    REG_MULTI_SZ    é\0b
    Binary    REG_BINARY    0102
    SzHex    REG_SZ    AB

HKEY_CURRENT_USER\Software\OpenDCOM-Golden4\Child
    Quote    REG_SZ    say "hi"

EOF

# ---- export --------------------------------------------------------------------------

what='export: version 5 bytes'
run 0 export 'HKCU\Software\OpenDCOM-Golden4' "$tmp/g4.reg" && success
head -c 2 "$tmp/g4.reg" | od -An -tx1 | grep -q 'ff fe' || fail "no UTF-16LE BOM"
if command -v iconv >/dev/null 2>&1; then
        iconv -f UTF-16LE -t UTF-8 "$tmp/g4.reg" | tr -d '\r' | sed '1s/^\xef\xbb\xbf//' >"$tmp/out"
        expect out <<'EOF'
Windows Registry Editor Version 5.00

[HKEY_CURRENT_USER\Software\OpenDCOM-Golden4]
@="Default"
"String"="Grüße"
"Dword"=dword:00000001
"Expand"=hex(2):25,00,48,00,4f,00,4d,00,45,00,25,00,00,00
"Multi"=hex(7):e9,00,00,00,62,00,00,00,00,00
"Binary"=hex:01,02
"SzHex"="AB"

[HKEY_CURRENT_USER\Software\OpenDCOM-Golden4\Child]
"Quote"="say \"hi\""

EOF
fi
what='export /reg:4'
run 0 export 'HKCU\Software\OpenDCOM-Golden4' "$tmp/g4-4.reg" /reg:4 && success
tr -d '\r' <"$tmp/g4-4.reg" >"$tmp/out"
expect out <<'EOF'
REGEDIT4

[HKEY_CURRENT_USER\Software\OpenDCOM-Golden4]
@="Default"
"String"="Grüße"
"Dword"=dword:00000001
"Expand"=hex(2):25,48,4f,4d,45,25,00
"Multi"=hex(7):c3,a9,00,62,00,00
"Binary"=hex:01,02
"SzHex"="AB"

[HKEY_CURRENT_USER\Software\OpenDCOM-Golden4\Child]
"Quote"="say \"hi\""

EOF
what='export over an existing file'
cp "$tmp/g4.reg" "$tmp/keep"
answer n 0 export 'HKCU\Software\OpenDCOM-Golden' "$tmp/g4.reg" && expect out <<EOF
File $tmp/g4.reg already exists. Overwrite (Yes/No)? 
The operation was canceled by the user.
EOF
cmp -s "$tmp/keep" "$tmp/g4.reg" || fail "file changed after no"
what='export over an existing file without /y and without a terminal: refused'
run 1 export 'HKCU\Software\OpenDCOM-Golden' "$tmp/g4.reg" && empty out && expect err <<EOF
ERROR: File $tmp/g4.reg already exists. Overwrite? Standard input is not a terminal, so reg cannot ask: nothing was changed (/y answers yes without asking).
EOF
cmp -s "$tmp/keep" "$tmp/g4.reg" || fail "file changed without a terminal"
run 0 export 'HKCU\Software\OpenDCOM-Golden' "$tmp/g4.reg" /y && success
cmp -s "$tmp/keep" "$tmp/g4.reg" && fail "file unchanged after /y"
what='export of a missing key'
run 1 export 'HKCU\Software\Missing' "$tmp/missing.reg" && not_found
[ -e "$tmp/missing.reg" ] && fail "file created for a missing key"
what='export: bad usage'
run 1 export "$K" && syntax_error "EXPORT "
run 1 export "$K" "$tmp/x.reg" /y /y && syntax_error "EXPORT "

# ---- export -> import -> export ------------------------------------------------------

for fmt in 5 4; do
        what="export -> import -> export identity (format $fmt)"
        opt=
        [ $fmt = 4 ] && opt=/reg:4
        run 0 export 'HKCU\Software\OpenDCOM-Golden' "$tmp/a.reg" $opt /y &&
        run 0 delete 'HKCU\Software\OpenDCOM-Golden' /f &&
        run 1 query 'HKCU\Software\OpenDCOM-Golden' &&
        run 0 import "$tmp/a.reg" &&
        run 0 export 'HKCU\Software\OpenDCOM-Golden' "$tmp/b.reg" $opt /y &&
        { cmp -s "$tmp/a.reg" "$tmp/b.reg" || fail "exports differ"; }
done
what='export -> import -> export of the whole hive root'
run 0 export HKCU "$tmp/all.reg" &&
run 0 import "$tmp/all.reg" &&
run 0 export HKEY_CURRENT_USER "$tmp/all2.reg" &&
{ cmp -s "$tmp/all.reg" "$tmp/all2.reg" || fail "exports differ"; }

# ---- import: refused files leave the registry alone ----------------------------------

what='import of a malformed file'
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Partial]\r\n"Ok"="fine"\r\n"Foo"=hex:01,zz\r\n' >"$tmp/bad.reg"
run 1 import "$tmp/bad.reg" && expect err <<EOF
reg: $tmp/bad.reg:5: invalid hex byte "zz" in the data of value "Foo"
EOF
run 1 query 'HKCU\Software\Partial'
what='import of a file without a header'
printf '[HKEY_CURRENT_USER\\Software\\Partial]\n' >"$tmp/nohdr.reg"
run 1 import "$tmp/nohdr.reg" && expect err <<EOF
reg: $tmp/nohdr.reg:1: missing header: the first line must be "Windows Registry Editor Version 5.00" or "REGEDIT4"
EOF
what='import of a missing file'
run 1 import "$tmp/nope.reg" && expect err <<EOF
ERROR: Error opening the file. There may be a disk or file system error.
reg: cannot open $tmp/nope.reg: No such file or directory
EOF
what='import of a directory'
run 1 import "$tmp" && grep -q "^ERROR: cannot read $tmp: Is a directory\$" "$tmp/err" ||
        fail "the directory or the cause is not named"
what='import: bad usage'
run 1 import && syntax_error "IMPORT "
run 1 import "$tmp/bad.reg" /reg:32 /reg:64 && syntax_error "IMPORT "

# ---- regressions found in review -----------------------------------------------------

what='[-HKEY_CLASSES_ROOT\X] removes the key from both sides of the merged view'
run 0 add 'HKCU\Software\Classes\Dup' /f &&
run 0 add 'HKLM\Software\Classes\Dup\Sub' /f &&
printf 'REGEDIT4\r\n\r\n[-HKEY_CLASSES_ROOT\\Dup]\r\n' >"$tmp/deldup.reg" &&
run 0 import "$tmp/deldup.reg" &&
run 1 query 'HKCR\Dup'

what='reg copy into its own subtree through an alias copies the snapshot'
run 0 add 'HKLM\Software\Classes\M\kid' /v v /d 1 /f &&
run 0 copy 'HKLM\Software\Classes\M' 'HKCR\M\sub' /s /f &&
run 0 query 'HKLM\Software\Classes\M\sub\kid' /v v &&
run 1 query 'HKLM\Software\Classes\M\sub\sub'

what='reg copy asks before it locks: another writer is not blocked by the prompt'
run 0 add 'HKCU\Software\CpA' /v v /d a /f &&
run 0 add 'HKCU\Software\CpB' /v v /d b /f &&
{ /usr/bin/python3 "$pty_stdin" --wait-for "$tmp/answer-now" no \
        "$reg" copy 'HKCU\Software\CpA' 'HKCU\Software\CpB' >"$tmp/cp-out" 2>&1 & cpid=$!; } &&
{ i=0; while ! grep -qF '(Yes/No)?' "$tmp/cp-out" 2>/dev/null; do
        i=$((i + 1)); [ "$i" -le 200 ] || break; sleep 0.05; done; } &&
grep -qF '(Yes/No)?' "$tmp/cp-out" &&
{ timeout 10 "$reg" add 'HKLM\Software\Other' /f >/dev/null 2>&1 || fail "a writer waited on the prompt"; }
touch "$tmp/answer-now"
wait "$cpid" || fail "reg copy answered no exited with $?"
grep -q 'canceled by the user' "$tmp/cp-out" || fail "the prompt was not answered: $(cat "$tmp/cp-out")"
passed=$((passed + 1))

# ---- help and version ----------------------------------------------------------------

what='reg --help'
for h in --help /? -h; do
        run 0 "$h" && empty err
        grep -q 'QUERY | ADD | DELETE | COPY | EXPORT | IMPORT' "$tmp/out" || fail "$h: no operations"
        grep -q 'COMPARE' "$tmp/out" && fail "$h mentions REG COMPARE, which does not exist"
        grep -q 'Examples' "$tmp/out" || fail "$h: no example"
done
what='reg --version'
run 0 --version && empty err
if [ -n "$version" ]; then
        echo "reg (OpenDCOM) $version" | expect out
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
