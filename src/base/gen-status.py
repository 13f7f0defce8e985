#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Turns src/base/status.tab, the one table of status codes, into the three files that
# carry it (run by Meson, see include/dcom/meson.build):
#     gen-status.py TABLE OUT_WINERROR_H OUT_NCASTATUS_H OUT_STATUS_TABLE_C
#
#   winerror.h      HRESULT and Win32 constants under Windows' names, the FACILITY_*
#                   codes and the HRESULT macros ([MS-ERREF] 2.1, 2.2)
#   ncastatus.h     NCA_S_* fault and reject codes ([C706] Appendix E)
#   status-table.c  the entries sorted by (kind, code) for dcom_status_lookup(), and
#                   every name (aliases too) sorted for dcom_status_by_name()
#
# The table is checked before anything is written: a malformed line, a name given
# twice, or a (kind, code) pair given twice stops the build with the file and line.
# Standard library only.
import re
import sys

KINDS = ('HRESULT', 'WIN32', 'NCA')     # order = enum dcom_status_kind = sort order
KIND_ENUM = {
        'HRESULT': 'DCOM_STATUS_HRESULT',
        'WIN32': 'DCOM_STATUS_WIN32',
        'NCA': 'DCOM_STATUS_NCA',
}
FACILITY_WIN32 = 7

# [MS-ERREF] 2.1: the facilities a DCOM stack meets.  Not in the table because they are
# field values, not status codes.
FACILITIES = [
        ('FACILITY_NULL', 0), ('FACILITY_RPC', 1), ('FACILITY_DISPATCH', 2),
        ('FACILITY_STORAGE', 3), ('FACILITY_ITF', 4), ('FACILITY_WIN32', 7),
        ('FACILITY_WINDOWS', 8), ('FACILITY_SSPI', 9), ('FACILITY_SECURITY', 9),
        ('FACILITY_CONTROL', 10), ('FACILITY_CERT', 11), ('FACILITY_INTERNET', 12),
        ('FACILITY_MEDIASERVER', 13), ('FACILITY_MSMQ', 14), ('FACILITY_SETUPAPI', 15),
        ('FACILITY_SCARD', 16), ('FACILITY_COMPLUS', 17), ('FACILITY_AAF', 18),
        ('FACILITY_URT', 19), ('FACILITY_ACS', 20), ('FACILITY_DPLAY', 21),
        ('FACILITY_UMI', 22), ('FACILITY_SXS', 23), ('FACILITY_WINDOWS_CE', 24),
        ('FACILITY_HTTP', 25), ('FACILITY_USERMODE_COMMONLOG', 26), ('FACILITY_WER', 27),
        ('FACILITY_USERMODE_FILTER_MANAGER', 31), ('FACILITY_BACKGROUNDCOPY', 32),
        ('FACILITY_CONFIGURATION', 33), ('FACILITY_STATE_MANAGEMENT', 34),
        ('FACILITY_METADIRECTORY', 35), ('FACILITY_WINDOWSUPDATE', 36),
        ('FACILITY_DIRECTORYSERVICE', 37), ('FACILITY_GRAPHICS', 38),
        ('FACILITY_SHELL', 39), ('FACILITY_TPM_SERVICES', 40),
        ('FACILITY_TPM_SOFTWARE', 41), ('FACILITY_PLA', 48), ('FACILITY_FVE', 49),
        ('FACILITY_FWP', 50), ('FACILITY_WINRM', 51), ('FACILITY_NDIS', 52),
        ('FACILITY_USERMODE_HYPERVISOR', 53), ('FACILITY_CMI', 54),
]

NAME_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')
NCA_NAME_RE = re.compile(r'nca_s_[a-z0-9_]+\Z')
VALUE_RE = re.compile(r'(0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,10})\Z')


class TableError(Exception):
        pass


class Entry:
        def __init__(self, kind, name, code, text, line):
                self.kind = kind
                self.name = name
                self.code = code
                self.text = text
                self.line = line


def parse_text(rest, where):
        """The quoted message: "..." with \\" \\\\ and \\n escapes, then nothing but a comment."""
        if not rest.startswith('"'):
                raise TableError('%s: message text must be in double quotes' % where)
        out = []
        i = 1
        while True:
                if i >= len(rest):
                        raise TableError('%s: unterminated message text' % where)
                c = rest[i]
                if c == '"':
                        break
                if c == '\\':
                        if i + 1 >= len(rest) or rest[i + 1] not in '"\\n':
                                raise TableError('%s: bad escape in message text '
                                                 '(use \\" \\\\ or \\n)' % where)
                        out.append('\n' if rest[i + 1] == 'n' else rest[i + 1])
                        i += 2
                        continue
                if not (' ' <= c <= '~'):
                        raise TableError('%s: message text must be printable ASCII' % where)
                out.append(c)
                i += 1
        tail = rest[i + 1:].strip()
        if tail and not tail.startswith('#'):
                raise TableError('%s: unexpected text after the message: %r' % (where, tail))
        text = ''.join(out)
        if not text.strip():
                raise TableError('%s: empty message text' % where)
        return text


def parse(path):
        entries = []
        aliases = []            # (name, target, line)
        with open(path, encoding='ascii') as f:
                lines = f.read().split('\n')
        for lineno, raw in enumerate(lines, 1):
                where = '%s:%d' % (path, lineno)
                line = raw.strip()
                if not line or line.startswith('#'):
                        continue
                fields = line.split(None, 3)
                kind = fields[0]
                if kind == 'ALIAS':
                        parts = line.split('#', 1)[0].split()
                        if len(parts) != 3:
                                raise TableError('%s: expected "ALIAS NAME TARGET"' % where)
                        for n in parts[1:]:
                                if not NAME_RE.match(n):
                                        raise TableError('%s: bad name %r' % (where, n))
                        aliases.append((parts[1], parts[2], lineno))
                        continue
                if kind not in KINDS:
                        raise TableError('%s: unknown kind %r (expected %s or ALIAS)'
                                         % (where, kind, ', '.join(KINDS)))
                if len(fields) != 4:
                        raise TableError('%s: expected KIND NAME VALUE "TEXT"' % where)
                _, name, value, rest = fields
                if not NAME_RE.match(name):
                        raise TableError('%s: bad name %r' % (where, name))
                if kind == 'NCA' and not NCA_NAME_RE.match(name):
                        raise TableError('%s: NCA names are C706 lower-case nca_s_* names'
                                         % where)
                if not VALUE_RE.match(value):
                        raise TableError('%s: bad value %r (decimal or 0x hex)' % (where, value))
                code = int(value, 0)
                if code > 0xFFFFFFFF:
                        raise TableError('%s: value %s does not fit 32 bits' % (where, value))
                if kind == 'WIN32' and code > 0xFFFF:
                        # HRESULT_FROM_WIN32 keeps only the low 16 bits.
                        raise TableError('%s: Win32 codes are below 65536' % where)
                entries.append(Entry(kind, name, code, parse_text(rest, where), lineno))
        return entries, aliases


def check(path, entries, aliases):
        names = {}
        for e in entries:
                if e.name in names:
                        raise TableError('%s:%d: name %s already given on line %d'
                                         % (path, e.line, e.name, names[e.name].line))
                names[e.name] = e
        codes = {}
        for e in entries:
                key = (e.kind, e.code)
                if key in codes:
                        raise TableError('%s:%d: %s 0x%08X already given on line %d (%s)'
                                         % (path, e.line, e.kind, e.code, codes[key].line,
                                            codes[key].name))
                codes[key] = e
        alias_names = {}
        for name, target, line in aliases:
                if name in names or name in alias_names:
                        raise TableError('%s:%d: name %s already given' % (path, line, name))
                alias_names[name] = (target, line)
        resolved = {}
        for name, (target, line) in alias_names.items():
                seen = {name}
                t = target
                while t in alias_names:
                        if t in seen:
                                raise TableError('%s:%d: alias loop through %s' % (path, line, t))
                        seen.add(t)
                        t = alias_names[t][0]
                if t not in names:
                        raise TableError('%s:%d: alias target %s is not in the table'
                                         % (path, line, target))
                resolved[name] = names[t]
        # FormatMessage shows a FACILITY_WIN32 HRESULT with its Win32 code's message, so
        # an HRESULT of our own there (E_ACCESSDENIED...) must carry the same text.
        for e in entries:
                if e.kind == 'HRESULT' and (e.code >> 16) == (0x8000 | FACILITY_WIN32):
                        w = codes.get(('WIN32', e.code & 0xFFFF))
                        if w is not None and w.text != e.text:
                                raise TableError('%s:%d: %s must have the text of %s (line %d)'
                                                 % (path, e.line, e.name, w.name, w.line))
        return resolved


def c_string(s):
        return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def x_list(macro, items):
        """#define MACRO(X) X(...) X(...) ..., one item a line."""
        return '#define %s(X)%s\n' % (macro, ''.join(' \\\n        ' + i for i in items))


def banner(what):
        return ('/* SPDX-License-Identifier: LGPL-2.1-or-later */\n'
                '/*\n'
                ' * Generated by src/base/gen-status.py from src/base/status.tab: do not edit.\n'
                ' * %s\n'
                ' */\n' % what)


def define(name, value, width=48):
        line = '#define %s %s' % (name.ljust(width - 1), value)
        if len(line) <= 100:
                return line + '\n'
        return '#define %s \\\n        %s\n' % (name, value)


def write_winerror(path, entries, aliases, resolved):
        hr = [e for e in entries if e.kind == 'HRESULT']
        w32 = [e for e in entries if e.kind == 'WIN32']
        o = [banner('Windows status codes under Windows\' names: Win32 error codes, HRESULTs\n'
                    ' * and the macros that take HRESULTs apart ([MS-ERREF] 2.1, 2.2).  The\n'
                    ' * message texts are in the table behind <dcom/status.h>.')]
        o.append('#ifndef DCOM_WINERROR_H\n#define DCOM_WINERROR_H\n\n')
        o.append('#include <dcom/types.h>\n\n')

        o.append('/* [MS-ERREF] 2.1: S(1) R C N X(1) Facility(11) Code(16) */\n')
        for name, value in FACILITIES:
                o.append(define(name, str(value)))
        o.append('\n')
        o.append(define('SEVERITY_SUCCESS', '0'))
        o.append(define('SEVERITY_ERROR', '1'))
        o.append(define('FACILITY_NT_BIT', '0x10000000'))
        o.append('\n')
        # Casts through uint32_t keep the shifts defined for negative HRESULTs.
        macros = [
                ('SUCCEEDED(hr)', '(((HRESULT)(hr)) >= 0)'),
                ('FAILED(hr)', '(((HRESULT)(hr)) < 0)'),
                ('IS_ERROR(status)', '((((uint32_t)(status)) >> 31) == SEVERITY_ERROR)'),
                ('HRESULT_CODE(hr)', '((int32_t)((uint32_t)(hr) & 0xFFFFu))'),
                ('SCODE_CODE(sc)', '((int32_t)((uint32_t)(sc) & 0xFFFFu))'),
                ('HRESULT_FACILITY(hr)', '((int32_t)(((uint32_t)(hr) >> 16) & 0x1FFFu))'),
                ('SCODE_FACILITY(sc)', '((int32_t)(((uint32_t)(sc) >> 16) & 0x1FFFu))'),
                ('HRESULT_SEVERITY(hr)', '((int32_t)(((uint32_t)(hr) >> 31) & 0x1u))'),
                ('SCODE_SEVERITY(sc)', '((int32_t)(((uint32_t)(sc) >> 31) & 0x1u))'),
                ('MAKE_HRESULT(sev, fac, code)',
                 '((HRESULT)(((uint32_t)(sev) << 31) | ((uint32_t)(fac) << 16) | '
                 '((uint32_t)(code))))'),
                ('MAKE_SCODE(sev, fac, code)',
                 '((SCODE)(((uint32_t)(sev) << 31) | ((uint32_t)(fac) << 16) | '
                 '((uint32_t)(code))))'),
        ]
        for name, value in macros:
                o.append(define(name, value))
        o.append('\n')
        o.append('/* Windows\' definition, a constant expression: values that are already HRESULTs\n'
                 ' * (zero or negative as a 32-bit signed number) pass through unchanged, others\n'
                 ' * keep their low 16 bits under FACILITY_WIN32 with the error bit set.  The\n'
                 ' * argument is evaluated twice; dcom_hresult_from_win32() is the function. */\n')
        o.append('#define HRESULT_FROM_WIN32(x) \\\n'
                 '        ((HRESULT)(x) <= 0 ? (HRESULT)(x) \\\n'
                 '                           : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | \\\n'
                 '                                       ((uint32_t)FACILITY_WIN32 << 16) | 0x80000000u))\n')
        o.append(define('HRESULT_FROM_NT(x)', '((HRESULT)((uint32_t)(x) | FACILITY_NT_BIT))'))
        o.append('\n')

        o.append('/* Win32 error codes ([MS-ERREF] 2.2), plain int constants so they compare and\n'
                 ' * convert cleanly against DWORD, RPC_STATUS and int alike. */\n')
        for e in w32:
                o.append(define(e.name, str(e.code)))
        o.append('\n/* HRESULTs ([MS-ERREF] 2.1.1) */\n')
        for e in hr:
                o.append(define(e.name, '((HRESULT)0x%08X)' % e.code))
        o.append('\n/* Other names Windows gives the same codes (winerror.h, rpcnterr.h) */\n')
        for name, target, _ in aliases:
                if resolved[name].kind in ('HRESULT', 'WIN32'):
                        o.append(define(name, target))

        o.append('\n/* Every constant above as X(NAME, KIND), for tests that check the header\n'
                 ' * against the table.  Only with DCOM_STATUS_LISTS defined. */\n')
        items = ['X(%s, %s)' % (e.name, KIND_ENUM[e.kind]) for e in w32 + hr]
        o.append('#ifdef DCOM_STATUS_LISTS\n%s#endif\n' % x_list('DCOM_WINERROR_LIST', items))
        o.append('\n#endif /* DCOM_WINERROR_H */\n')
        with open(path, 'w', encoding='ascii') as f:
                f.write(''.join(o))


def write_ncastatus(path, entries):
        nca = [e for e in entries if e.kind == 'NCA']
        o = [banner('DCE RPC fault and reject status codes ([C706] Appendix E, [MS-RPCE] 2.2.2.8,\n'
                    ' * 3.1.1.5.5) as NCA_S_* constants; the table keeps C706\'s lower-case names.\n'
                    ' * dcom_status_from_fault() turns them into the RPC_STATUS a client sees.')]
        o.append('#ifndef DCOM_NCASTATUS_H\n#define DCOM_NCASTATUS_H\n\n')
        o.append('#include <dcom/types.h>\n\n')
        for e in nca:
                o.append(define(e.name.upper(), '0x%08XU' % e.code))
        items = ['X(%s, %s)' % (e.name.upper(), KIND_ENUM[e.kind]) for e in nca]
        o.append('\n#ifdef DCOM_STATUS_LISTS\n%s#endif\n' % x_list('DCOM_NCASTATUS_LIST', items))
        o.append('\n#endif /* DCOM_NCASTATUS_H */\n')
        with open(path, 'w', encoding='ascii') as f:
                f.write(''.join(o))


def write_table(path, entries, resolved):
        index = {e.name: i for i, e in enumerate(entries)}
        names = sorted([(e.name, i) for i, e in enumerate(entries)] +
                       [(a, index[e.name]) for a, e in resolved.items()],
                       key=lambda p: p[0].encode('ascii'))   # strcmp() order
        o = [banner('The status table, sorted by (kind, code), and its name index, sorted by\n'
                    ' * strcmp() and holding aliases too.  Read through src/base/status.c.')]
        o.append('#include <stddef.h>\n#include <stdint.h>\n\n#include <dcom/status.h>\n\n')
        o.append('extern const struct dcom_status_info status_entries[];\n'
                 'extern const size_t status_entry_count;\n'
                 'extern const char *const status_name_keys[];\n'
                 'extern const uint16_t status_name_targets[];\n'
                 'extern const size_t status_name_count;\n\n')
        o.append('const struct dcom_status_info status_entries[] = {\n')
        for e in entries:
                o.append('        { 0x%08XU, %s, "%s",\n          %s },\n'
                         % (e.code, KIND_ENUM[e.kind], e.name, c_string(e.text)))
        o.append('};\n\n')
        o.append('const size_t status_entry_count = %d;\n\n' % len(entries))
        o.append('const char *const status_name_keys[] = {\n')
        o.append(''.join('        "%s",\n' % n for n, _ in names))
        o.append('};\n\n')
        o.append('const uint16_t status_name_targets[] = {\n')
        o.append(''.join('        %d, /* %s */\n' % (i, n) for n, i in names))
        o.append('};\n\n')
        o.append('const size_t status_name_count = %d;\n' % len(names))
        with open(path, 'w', encoding='ascii') as f:
                f.write(''.join(o))


def main(argv):
        if len(argv) != 5:
                sys.stderr.write('usage: gen-status.py TABLE OUT_WINERROR_H OUT_NCASTATUS_H '
                                 'OUT_STATUS_TABLE_C\n')
                return 2
        table, out_winerror, out_nca, out_c = argv[1:]
        try:
                entries, aliases = parse(table)
                resolved = check(table, entries, aliases)
        except TableError as e:
                sys.stderr.write('gen-status.py: %s\n' % e)
                return 1
        except (OSError, UnicodeDecodeError) as e:
                sys.stderr.write('gen-status.py: cannot read %s: %s\n' % (table, e))
                return 1
        if len(entries) > 0xFFFF:
                sys.stderr.write('gen-status.py: more entries than the uint16_t name index holds\n')
                return 1
        entries.sort(key=lambda e: (KINDS.index(e.kind), e.code))
        write_winerror(out_winerror, entries, aliases, resolved)
        write_ncastatus(out_nca, entries)
        write_table(out_c, entries, resolved)
        return 0


if __name__ == '__main__':
        sys.exit(main(sys.argv))
