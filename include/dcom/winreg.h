/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry API, with Windows' names, flags and error codes so that ported code
 * compiles unchanged (UTF-16 "W" functions only: WCHAR is 16-bit here).  Functions
 * return a Win32 error code (ERROR_SUCCESS, ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA,
 * ERROR_ACCESS_DENIED, ...).  Storage and semantics: src/registry/.
 *
 * Roots: HKEY_LOCAL_MACHINE (machine hive, writable by root only), HKEY_CURRENT_USER
 * (the caller's hive), HKEY_USERS (".DEFAULT" and the caller's hive by SID), and
 * HKEY_CLASSES_ROOT, the merged view of HKCU\Software\Classes over
 * HKLM\Software\Classes.
 */
#ifndef DCOM_WINREG_H
#define DCOM_WINREG_H

#include <dcom/types.h>
#include <dcom/winerror.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct HKEY__ *HKEY;
typedef HKEY *PHKEY;
typedef DWORD REGSAM;
typedef DWORD ACCESS_MASK;

/* Predefined keys: sign-extended 32-bit values, as Windows defines them. */
#define HKEY_CLASSES_ROOT       ((HKEY)(ULONG_PTR)(LONG)0x80000000)
#define HKEY_CURRENT_USER       ((HKEY)(ULONG_PTR)(LONG)0x80000001)
#define HKEY_LOCAL_MACHINE      ((HKEY)(ULONG_PTR)(LONG)0x80000002)
#define HKEY_USERS              ((HKEY)(ULONG_PTR)(LONG)0x80000003)

/* Value types. */
#define REG_NONE                        0
#define REG_SZ                          1
#define REG_EXPAND_SZ                   2
#define REG_BINARY                      3
#define REG_DWORD                       4
#define REG_DWORD_LITTLE_ENDIAN         4
#define REG_DWORD_BIG_ENDIAN            5
#define REG_LINK                        6
#define REG_MULTI_SZ                    7
#define REG_RESOURCE_LIST               8
#define REG_FULL_RESOURCE_DESCRIPTOR    9
#define REG_RESOURCE_REQUIREMENTS_LIST  10
#define REG_QWORD                       11
#define REG_QWORD_LITTLE_ENDIAN         11

/* Access rights (checked against the hive's file permissions for now). */
#define DELETE                          0x00010000
#define READ_CONTROL                    0x00020000
#define WRITE_DAC                       0x00040000
#define WRITE_OWNER                     0x00080000
#define SYNCHRONIZE                     0x00100000
#define STANDARD_RIGHTS_READ            READ_CONTROL
#define STANDARD_RIGHTS_WRITE           READ_CONTROL
#define STANDARD_RIGHTS_ALL             0x001F0000
#define MAXIMUM_ALLOWED                 0x02000000
#define KEY_QUERY_VALUE                 0x0001
#define KEY_SET_VALUE                   0x0002
#define KEY_CREATE_SUB_KEY              0x0004
#define KEY_ENUMERATE_SUB_KEYS          0x0008
#define KEY_NOTIFY                      0x0010
#define KEY_CREATE_LINK                 0x0020
#define KEY_WOW64_64KEY                 0x0100
#define KEY_WOW64_32KEY                 0x0200
#define KEY_READ                        0x00020019
#define KEY_WRITE                       0x00020006
#define KEY_EXECUTE                     0x00020019
#define KEY_ALL_ACCESS                  0x000F003F

/* RegCreateKeyEx options and dispositions. */
#define REG_OPTION_RESERVED             0x00000000
#define REG_OPTION_NON_VOLATILE         0x00000000
#define REG_OPTION_VOLATILE             0x00000001
#define REG_OPTION_CREATE_LINK          0x00000002
#define REG_OPTION_BACKUP_RESTORE       0x00000004
#define REG_OPTION_OPEN_LINK            0x00000008
#define REG_CREATED_NEW_KEY             0x00000001
#define REG_OPENED_EXISTING_KEY         0x00000002

/* RegGetValue flags. */
#define RRF_RT_REG_NONE                 0x00000001
#define RRF_RT_REG_SZ                   0x00000002
#define RRF_RT_REG_EXPAND_SZ            0x00000004
#define RRF_RT_REG_BINARY               0x00000008
#define RRF_RT_REG_DWORD                0x00000010
#define RRF_RT_REG_MULTI_SZ             0x00000020
#define RRF_RT_REG_QWORD                0x00000040
#define RRF_RT_DWORD                    (RRF_RT_REG_BINARY | RRF_RT_REG_DWORD)
#define RRF_RT_QWORD                    (RRF_RT_REG_BINARY | RRF_RT_REG_QWORD)
#define RRF_RT_ANY                      0x0000FFFF
#define RRF_SUBKEY_WOW6464KEY           0x00010000
#define RRF_SUBKEY_WOW6432KEY           0x00020000
#define RRF_NOEXPAND                    0x10000000
#define RRF_ZEROONFAILURE               0x20000000

/* Windows' limits, in characters ([MS-RRP] and the Registry Element Size Limits). */
#define DCOM_REG_MAX_KEY_NAME           255
#define DCOM_REG_MAX_VALUE_NAME         16383
#define DCOM_REG_MAX_DEPTH              512
#define DCOM_REG_MAX_VALUE_SIZE         (16u * 1024 * 1024)     /* ours; Windows: memory */

typedef struct _SECURITY_ATTRIBUTES {
        DWORD nLength;
        LPVOID lpSecurityDescriptor;
        BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

DCOM_EXPORT LSTATUS RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                                  PHKEY phkResult);
DCOM_EXPORT LSTATUS RegCreateKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
                                    DWORD dwOptions, REGSAM samDesired,
                                    const SECURITY_ATTRIBUTES *lpSecurityAttributes,
                                    PHKEY phkResult, LPDWORD lpdwDisposition);
DCOM_EXPORT LSTATUS RegCloseKey(HKEY hKey);

DCOM_EXPORT LSTATUS RegQueryValueExW(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved,
                                     LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData);
DCOM_EXPORT LSTATUS RegGetValueW(HKEY hkey, LPCWSTR lpSubKey, LPCWSTR lpValue, DWORD dwFlags,
                                 LPDWORD pdwType, PVOID pvData, LPDWORD pcbData);
DCOM_EXPORT LSTATUS RegSetValueExW(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                                   const BYTE *lpData, DWORD cbData);
DCOM_EXPORT LSTATUS RegSetKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName,
                                    DWORD dwType, LPCVOID lpData, DWORD cbData);

DCOM_EXPORT LSTATUS RegEnumKeyExW(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName,
                                  LPDWORD lpReserved, LPWSTR lpClass, LPDWORD lpcchClass,
                                  PFILETIME lpftLastWriteTime);
DCOM_EXPORT LSTATUS RegEnumValueW(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName,
                                  LPDWORD lpcchValueName, LPDWORD lpReserved, LPDWORD lpType,
                                  LPBYTE lpData, LPDWORD lpcbData);
DCOM_EXPORT LSTATUS RegQueryInfoKeyW(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass,
                                     LPDWORD lpReserved, LPDWORD lpcSubKeys,
                                     LPDWORD lpcbMaxSubKeyLen, LPDWORD lpcbMaxClassLen,
                                     LPDWORD lpcValues, LPDWORD lpcbMaxValueNameLen,
                                     LPDWORD lpcbMaxValueLen, LPDWORD lpcbSecurityDescriptor,
                                     PFILETIME lpftLastWriteTime);

DCOM_EXPORT LSTATUS RegDeleteValueW(HKEY hKey, LPCWSTR lpValueName);
DCOM_EXPORT LSTATUS RegDeleteKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName);
DCOM_EXPORT LSTATUS RegDeleteKeyW(HKEY hKey, LPCWSTR lpSubKey);
DCOM_EXPORT LSTATUS RegDeleteKeyExW(HKEY hKey, LPCWSTR lpSubKey, REGSAM samDesired,
                                    DWORD Reserved);
DCOM_EXPORT LSTATUS RegDeleteTreeW(HKEY hKey, LPCWSTR lpSubKey);
DCOM_EXPORT LSTATUS RegFlushKey(HKEY hKey);

/*
 * OpenDCOM extensions.
 *
 * A registry transaction on the calling thread: every Reg* call the thread makes
 * until dcom_reg_commit() or dcom_reg_rollback() is applied all at once or not at all
 * (.reg imports use it).  Other threads and processes see none of it before the
 * commit; they wait for it to end when they write.  Not nestable.
 */
DCOM_EXPORT LSTATUS dcom_reg_begin(void);
DCOM_EXPORT LSTATUS dcom_reg_commit(void);
DCOM_EXPORT LSTATUS dcom_reg_rollback(void);

/*
 * A key's full path as reg.exe prints it: the long root name, then the subkey path as
 * it was given when the key was opened ("HKEY_LOCAL_MACHINE\software\Foo").
 * malloc()ed UTF-16.  ERROR_SUCCESS or an error.
 */
DCOM_EXPORT LSTATUS dcom_reg_key_path(HKEY hKey, LPWSTR *ret_path);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_WINREG_H */
