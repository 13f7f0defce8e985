#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every installed public header compiles on its own, as strict C11 and, when a C++
# compiler is present, as C++ -- so users may include any of them first.
#     check-headers.sh SRC_INCLUDE_DIR BUILD_INCLUDE_DIR
set -eu
src=$1
gen=$2
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
n=0

for h in "$src"/dcom/*.h "$gen"/dcom/*.h; do
        [ -f "$h" ] || continue
        name=dcom/$(basename "$h")
        printf '#include <%s>\n#include <%s>\nint check_headers_dummy;\n' "$name" "$name" >"$tmp/t.c"
        if ! $cc -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$src" -I"$gen" "$tmp/t.c"; then
                echo "check-headers: $name does not compile alone as C11" >&2
                failed=1
        fi
        if command -v c++ >/dev/null 2>&1; then
                cp "$tmp/t.c" "$tmp/t.cc"
                if ! c++ -std=c++11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$src" -I"$gen" "$tmp/t.cc"; then
                        echo "check-headers: $name does not compile alone as C++" >&2
                        failed=1
                fi
        fi
        n=$((n + 1))
done
# The Windows-named headers (<objbase.h>, <unknwn.h>, ...), found as portable code finds
# them: their directory on the include path.
for h in "$src"/win/*.h "$gen"/win/*.h; do
        [ -f "$h" ] || continue
        name=$(basename "$h")
        # <pshpackN.h> and <poppack.h> come in pairs around structures: checked below
        case $name in pshpack*.h | poppack.h) continue ;; esac
        printf '#include <%s>\n#include <%s>\nint check_headers_dummy;\n' "$name" "$name" >"$tmp/t.c"
        inc="-I$src -I$gen -I$src/win -I$gen/win"
        if ! $cc -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only $inc "$tmp/t.c"; then
                echo "check-headers: $name does not compile alone as C11" >&2
                failed=1
        fi
        if command -v c++ >/dev/null 2>&1; then
                cp "$tmp/t.c" "$tmp/t.cc"
                if ! c++ -std=c++11 -Wall -Wextra -pedantic -Werror -fsyntax-only $inc "$tmp/t.cc"; then
                        echo "check-headers: $name does not compile alone as C++" >&2
                        failed=1
                fi
        fi
        n=$((n + 1))
done
for k in 1 2 4 8; do
        printf '#include <pshpack%s.h>\nstruct p { char c; double d; };\n#include <poppack.h>\n%s\n' \
                "$k" "_Static_assert(sizeof(struct p) == $k + 8, \"packed\");" \
                >"$tmp/t.c"
        if ! $cc -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$src/win" "$tmp/t.c"; then
                echo "check-headers: <pshpack$k.h>/<poppack.h> do not pack to $k" >&2
                failed=1
        fi
        n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "check-headers: no headers found" >&2; exit 1; }
[ "$failed" -eq 0 ] && echo "ok: $n headers compile standalone"
exit $failed
