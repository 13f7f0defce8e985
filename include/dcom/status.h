/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Status codes: one table (src/base/status.tab) holds every HRESULT, Win32 error,
 * RPC_S_* status and DCE nca_s_* fault code OpenDCOM uses, with its symbolic name
 * and the message text Windows shows.  The constants themselves are in the generated
 * <dcom/winerror.h> (HRESULTs and Win32 codes, Windows' names) and
 * <dcom/ncastatus.h> (NCA_S_* fault codes), made from the same table.
 */
#ifndef DCOM_STATUS_H
#define DCOM_STATUS_H

#include <dcom/types.h>
#include <dcom/winerror.h>
#include <dcom/ncastatus.h>

#ifdef __cplusplus
extern "C" {
#endif

enum dcom_status_kind {
        DCOM_STATUS_HRESULT,    /* 32-bit HRESULT (S_OK, E_*, CO_E_*, RPC_E_*, ...) */
        DCOM_STATUS_WIN32,      /* Win32 error code (ERROR_*, RPC_S_*, RPC_X_*) */
        DCOM_STATUS_NCA,        /* DCE/RPC fault status in a fault PDU (nca_s_*) */
};

struct dcom_status_info {
        uint32_t code;
        enum dcom_status_kind kind;
        const char *name;       /* symbolic name, e.g. "RPC_S_SERVER_UNAVAILABLE" */
        const char *text;       /* Windows' message text */
};

/* The whole table, sorted by (kind, code). */
DCOM_EXPORT const struct dcom_status_info *dcom_status_table(size_t *ret_count);
DCOM_EXPORT const struct dcom_status_info *dcom_status_lookup(enum dcom_status_kind kind,
                                                              uint32_t code);
/* Case-sensitive exact name; NULL if unknown. */
DCOM_EXPORT const struct dcom_status_info *dcom_status_by_name(const char *name);

/* An HRESULT's entry: its own, or for FACILITY_WIN32 HRESULTs the Win32 code's. NULL if unknown. */
DCOM_EXPORT const struct dcom_status_info *dcom_hresult_info(HRESULT hr);
/* Message text, or NULL when the code is not in the table. */
DCOM_EXPORT const char *dcom_hresult_message(HRESULT hr);

DCOM_EXPORT HRESULT dcom_hresult_from_win32(DWORD err);
/*
 * A fault PDU's status as the RPC_STATUS a Windows client reports: the nca_s_ codes
 * map to their RPC_S_ or RPC_X_ equivalent; other values (Win32 codes, HRESULTs) are
 * already statuses and pass through.
 */
DCOM_EXPORT RPC_STATUS dcom_status_from_fault(uint32_t fault);
/* The reverse, for the server side: RPC_STATUS to the fault code put on the wire. */
DCOM_EXPORT uint32_t dcom_fault_from_status(RPC_STATUS status);
/* errno (either sign) to the closest HRESULT; 0 gives S_OK. */
DCOM_EXPORT HRESULT dcom_hresult_from_errno(int err);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_STATUS_H */
