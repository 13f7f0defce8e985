/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The status table and its lookups: the table's own consistency, the generated headers
 * against the table, names and codes both ways, HRESULT_FROM_WIN32 as macro and as
 * function, the fault-status mapping of [MS-RPCE] 3.1.1.5.5, and the errno -> status table
 * (HRESULT, a call's RPC_STATUS, the string-binding and endpoint functions', a fault, the
 * endpoint mapper's status).
 */
#define DCOM_STATUS_LISTS 1     /* before any include: the header's X-macro lists */

#include <errno.h>
#include <limits.h>

#include <dcom/status.h>

#include "base/errno-status.h"
#include "test.h"

static bool is_name_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
}

TEST(entries_well_formed) {
        size_t n = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        ASSERT_NOT_NULL(t);
        ASSERT_GT(n, 500);
        ASSERT_TRUE(dcom_status_table(NULL) == t);
        for (size_t i = 0; i < n; i++) {
                ASSERT_NOT_NULL(t[i].name);
                ASSERT_NOT_NULL(t[i].text);
                ASSERT_GT(strlen(t[i].name), 0);
                ASSERT_GT(strlen(t[i].text), 0);
                for (const char *c = t[i].name; *c; c++)
                        if (!is_name_char(*c))
                                test_fail(__FILE__, __LINE__, "bad name %s", t[i].name);
                ASSERT_TRUE(t[i].kind == DCOM_STATUS_HRESULT || t[i].kind == DCOM_STATUS_WIN32 ||
                            t[i].kind == DCOM_STATUS_NCA);
                if (t[i].kind == DCOM_STATUS_WIN32)
                        ASSERT_LE(t[i].code, 0xFFFF);
                if (t[i].kind == DCOM_STATUS_NCA)
                        ASSERT_EQ(strncmp(t[i].name, "nca_s_", 6), 0);
        }
}

TEST(sorted_and_unique) {
        size_t n = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        /* Strictly increasing (kind, code): sorted, and no (kind, code) twice. */
        for (size_t i = 1; i < n; i++) {
                bool less = t[i - 1].kind < t[i].kind ||
                            (t[i - 1].kind == t[i].kind && t[i - 1].code < t[i].code);
                if (!less)
                        test_fail(__FILE__, __LINE__, "%s (0x%08" PRIX32 ") before %s (0x%08" PRIX32 ")",
                                  t[i - 1].name, t[i - 1].code, t[i].name, t[i].code);
        }
        /* No name twice (O(n^2) but n is small). */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (strcmp(t[i].name, t[j].name) == 0)
                                test_fail(__FILE__, __LINE__, "name %s given twice", t[i].name);
}

TEST(every_entry_found_both_ways) {
        size_t n = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        for (size_t i = 0; i < n; i++) {
                ASSERT_TRUE(dcom_status_lookup(t[i].kind, t[i].code) == &t[i]);
                ASSERT_TRUE(dcom_status_by_name(t[i].name) == &t[i]);
        }
}

TEST(lookups) {
        const struct dcom_status_info *e;

        e = dcom_status_by_name("RPC_S_SERVER_UNAVAILABLE");
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->kind, DCOM_STATUS_WIN32);
        ASSERT_EQ(e->code, 1722);
        ASSERT_STR_EQ(e->text, "The RPC server is unavailable.");

        e = dcom_status_lookup(DCOM_STATUS_HRESULT, 0x80004002u);
        ASSERT_NOT_NULL(e);
        ASSERT_STR_EQ(e->name, "E_NOINTERFACE");
        ASSERT_STR_EQ(e->text, "No such interface supported");

        e = dcom_status_lookup(DCOM_STATUS_NCA, 0x1C010002u);
        ASSERT_NOT_NULL(e);
        ASSERT_STR_EQ(e->name, "nca_s_op_rng_error");
        ASSERT_TRUE(dcom_status_by_name("nca_s_op_rng_error") == e);

        /* The same number in different kinds is different codes. */
        ASSERT_STR_EQ(dcom_status_lookup(DCOM_STATUS_WIN32, 5)->name, "ERROR_ACCESS_DENIED");
        ASSERT_NULL(dcom_status_lookup(DCOM_STATUS_HRESULT, 5));
        ASSERT_STR_EQ(dcom_status_lookup(DCOM_STATUS_HRESULT, 0)->name, "S_OK");
        ASSERT_STR_EQ(dcom_status_lookup(DCOM_STATUS_WIN32, 0)->name, "ERROR_SUCCESS");

        ASSERT_STR_EQ(dcom_status_by_name("REGDB_E_CLASSNOTREG")->text, "Class not registered");
        ASSERT_STR_EQ(dcom_status_by_name("E_UNEXPECTED")->text, "Catastrophic failure");
        ASSERT_STR_EQ(dcom_status_by_name("E_FAIL")->text, "Unspecified error");
        ASSERT_STR_EQ(dcom_status_by_name("RPC_E_DISCONNECTED")->text,
                      "The object invoked has disconnected from its clients.");
        ASSERT_STR_EQ(dcom_status_by_name("CO_E_SERVER_EXEC_FAILURE")->text,
                      "Server execution failed");
}

TEST(aliases) {
        /* rpcnterr.h and winerror.h names for codes under another name in the table. */
        ASSERT_STR_EQ(dcom_status_by_name("RPC_S_OK")->name, "ERROR_SUCCESS");
        ASSERT_STR_EQ(dcom_status_by_name("NO_ERROR")->name, "ERROR_SUCCESS");
        ASSERT_STR_EQ(dcom_status_by_name("NOERROR")->name, "S_OK");
        ASSERT_STR_EQ(dcom_status_by_name("RPC_X_SS_CONTEXT_MISMATCH")->name,
                      "ERROR_INVALID_HANDLE");
        ASSERT_STR_EQ(dcom_status_by_name("RPC_X_NO_MEMORY")->name, "ERROR_OUTOFMEMORY");
        ASSERT_STR_EQ(dcom_status_by_name("RPC_S_SERVER_OUT_OF_MEMORY")->name,
                      "ERROR_NOT_ENOUGH_SERVER_MEMORY");
        ASSERT_EQ(RPC_S_OK, ERROR_SUCCESS);
        ASSERT_EQ(RPC_X_NO_MEMORY, ERROR_OUTOFMEMORY);
        ASSERT_EQ(RPC_X_SS_CONTEXT_MISMATCH, ERROR_INVALID_HANDLE);
        ASSERT_HR_EQ(NOERROR, S_OK);
}

TEST(unknown_gives_null) {
        ASSERT_NULL(dcom_status_lookup(DCOM_STATUS_HRESULT, 0x8000FFFEu));
        ASSERT_NULL(dcom_status_lookup(DCOM_STATUS_WIN32, 65535));
        ASSERT_NULL(dcom_status_lookup(DCOM_STATUS_NCA, 0));
        ASSERT_NULL(dcom_status_lookup((enum dcom_status_kind)42, 0));
        ASSERT_NULL(dcom_status_by_name("NO_SUCH_CODE"));
        ASSERT_NULL(dcom_status_by_name("rpc_s_server_unavailable"));   /* case-sensitive */
        ASSERT_NULL(dcom_status_by_name(""));
        ASSERT_NULL(dcom_status_by_name(NULL));
        ASSERT_NULL(dcom_hresult_info((HRESULT)0x8000FFFEu));
        ASSERT_NULL(dcom_hresult_message((HRESULT)0x8000FFFEu));
        ASSERT_NULL(dcom_hresult_message((HRESULT)0x8007FFFFu));       /* no Win32 65535 */
        ASSERT_NULL(dcom_hresult_message(0x000006BA));                 /* not FAILED */
}

TEST(hresult_messages) {
        const struct dcom_status_info *e;

        ASSERT_STR_EQ(dcom_hresult_message((HRESULT)0x800706BAu), "The RPC server is unavailable.");
        /* Fallback to the Win32 entry keeps the Win32 name. */
        e = dcom_hresult_info((HRESULT)0x800706BAu);
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->kind, DCOM_STATUS_WIN32);
        ASSERT_STR_EQ(e->name, "RPC_S_SERVER_UNAVAILABLE");
        /* An HRESULT with a name of its own is found as itself. */
        e = dcom_hresult_info(E_ACCESSDENIED);
        ASSERT_STR_EQ(e->name, "E_ACCESSDENIED");
        ASSERT_STR_EQ(e->text, "Access is denied.");
        ASSERT_STR_EQ(dcom_hresult_message(E_INVALIDARG), "The parameter is incorrect.");
        ASSERT_STR_EQ(dcom_hresult_message(E_NOTIMPL), "Not implemented");
        ASSERT_STR_EQ(dcom_hresult_message(S_OK), "The operation completed successfully.");
        ASSERT_STR_EQ(dcom_hresult_message(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)),
                      "The system cannot find the file specified.");
        ASSERT_STR_EQ(dcom_hresult_message(RPC_E_TIMEOUT),
                      "This operation returned because the timeout period expired.");
}

/* FACILITY_WIN32 HRESULTs with a name of their own carry the Win32 message, as
 * FormatMessage shows it. */
TEST(win32_facility_texts_agree) {
        size_t n = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        for (size_t i = 0; i < n; i++) {
                const struct dcom_status_info *w;

                if (t[i].kind != DCOM_STATUS_HRESULT || (t[i].code >> 16) != 0x8007)
                        continue;
                w = dcom_status_lookup(DCOM_STATUS_WIN32, t[i].code & 0xFFFF);
                ASSERT_NOT_NULL(w);
                ASSERT_STR_EQ(t[i].text, w->text);
        }
}

TEST(hresult_from_win32) {
        static const DWORD samples[] = {
                0, 1, 2, 5, 87, 1722, 1753, 0xFFFF, 0x10000, 0x12345,
                0x7FFFFFFF, 0x80000000u, 0x800706BAu, 0x80004005u, 0xFFFFFFFFu,
        };

        ASSERT_HR_EQ(HRESULT_FROM_WIN32(ERROR_SUCCESS), S_OK);
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE), 0x800706BAu);
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED), E_ACCESSDENIED);
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY), E_OUTOFMEMORY);
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER), E_INVALIDARG);
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE), E_HANDLE);
        /* Already an HRESULT (negative as int32): unchanged. */
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(0x80004005u), E_FAIL);
        ASSERT_HR_EQ(dcom_hresult_from_win32(0x80004005u), E_FAIL);
        /* Positive values above 16 bits keep only their low 16 bits, as on Windows. */
        ASSERT_HR_EQ(HRESULT_FROM_WIN32(0x12345), 0x80072345u);
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
                ASSERT_HR_EQ(HRESULT_FROM_WIN32(samples[i]), dcom_hresult_from_win32(samples[i]));
        /* Usable where a constant is required. */
        switch (dcom_hresult_from_win32(ERROR_FILE_NOT_FOUND)) {
        case HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND):
                break;
        default:
                test_fail(__FILE__, __LINE__, "switch on HRESULT_FROM_WIN32 missed");
        }
}

TEST(hresult_macros) {
        ASSERT_TRUE(SUCCEEDED(S_OK));
        ASSERT_TRUE(SUCCEEDED(S_FALSE));
        ASSERT_TRUE(SUCCEEDED(SEC_I_CONTINUE_NEEDED));
        ASSERT_FALSE(FAILED(S_FALSE));
        ASSERT_TRUE(FAILED(E_FAIL));
        ASSERT_TRUE(FAILED(E_UNEXPECTED));
        ASSERT_FALSE(SUCCEEDED(RPC_E_DISCONNECTED));
        ASSERT_TRUE(IS_ERROR(E_POINTER));
        ASSERT_FALSE(IS_ERROR(S_FALSE));
        ASSERT_EQ(HRESULT_CODE(0x800706BAu), 1722);
        ASSERT_EQ(HRESULT_FACILITY(0x800706BAu), FACILITY_WIN32);
        ASSERT_EQ(HRESULT_FACILITY(RPC_E_DISCONNECTED), FACILITY_RPC);
        ASSERT_EQ(HRESULT_FACILITY(DISP_E_EXCEPTION), FACILITY_DISPATCH);
        ASSERT_EQ(HRESULT_FACILITY(REGDB_E_CLASSNOTREG), FACILITY_ITF);
        ASSERT_EQ(HRESULT_SEVERITY(E_FAIL), SEVERITY_ERROR);
        ASSERT_EQ(HRESULT_SEVERITY(S_FALSE), SEVERITY_SUCCESS);
        ASSERT_HR_EQ(MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIN32, 1722), 0x800706BAu);
        ASSERT_HR_EQ(MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x154), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_NULL, 1), S_FALSE);
        ASSERT_HR_EQ(HRESULT_FROM_NT(0xC0000022u), 0xD0000022u);
}

/* Each constant winerror.h and ncastatus.h define is the table's, under the same name. */
struct emitted {
        const char *name;
        enum dcom_status_kind kind;
        uint32_t code;
};

#define EMITTED(name, kind) { #name, kind, (uint32_t)(name) },
static const struct emitted emitted_win[] = { DCOM_WINERROR_LIST(EMITTED) };
#undef EMITTED
#define EMITTED(name, kind) { #name, kind, (uint32_t)(name) },
static const struct emitted emitted_nca[] = { DCOM_NCASTATUS_LIST(EMITTED) };
#undef EMITTED

static void check_emitted(const struct emitted *list, size_t count, bool lower) {
        for (size_t i = 0; i < count; i++) {
                char name[128];
                const struct dcom_status_info *e;

                ASSERT_LT(strlen(list[i].name), sizeof(name));
                strcpy(name, list[i].name);
                if (lower)      /* NCA_S_OP_RNG_ERROR is nca_s_op_rng_error in the table */
                        for (char *c = name; *c; c++)
                                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                e = dcom_status_by_name(name);
                if (!e)
                        test_fail(__FILE__, __LINE__, "%s is in the header, not the table", name);
                ASSERT_EQ(e->kind, list[i].kind);
                if (e->code != list[i].code)
                        test_fail(__FILE__, __LINE__, "%s: header 0x%08" PRIX32 ", table 0x%08" PRIX32,
                                  name, list[i].code, e->code);
        }
}

TEST(headers_match_table) {
        size_t n = 0, hr_w32 = 0, nca = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        check_emitted(emitted_win, sizeof(emitted_win) / sizeof(emitted_win[0]), false);
        check_emitted(emitted_nca, sizeof(emitted_nca) / sizeof(emitted_nca[0]), true);
        for (size_t i = 0; i < n; i++) {
                if (t[i].kind == DCOM_STATUS_NCA)
                        nca++;
                else
                        hr_w32++;
        }
        /* ...and every table entry has its constant. */
        ASSERT_EQ(sizeof(emitted_win) / sizeof(emitted_win[0]), hr_w32);
        ASSERT_EQ(sizeof(emitted_nca) / sizeof(emitted_nca[0]), nca);
        /* Spot checks of the constants' types and values. */
        ASSERT_HR_EQ(E_OUTOFMEMORY, 0x8007000Eu);
        ASSERT_TRUE(E_OUTOFMEMORY < 0);         /* an int32_t HRESULT, negative */
        ASSERT_EQ(ERROR_FILE_NOT_FOUND, 2);
        ASSERT_EQ(NCA_S_OP_RNG_ERROR, 0x1C010002u);
        ASSERT_EQ(NCA_S_COMM_FAILURE, 0x1C010001u);
        ASSERT_EQ(sizeof(E_FAIL), 4);
}

/* Faults that map one to one: the client's mapping undoes the server's. */
static const struct {
        uint32_t fault;
        RPC_STATUS status;
} round_trips[] = {
        { NCA_S_COMM_FAILURE, RPC_S_COMM_FAILURE },
        { NCA_S_OP_RNG_ERROR, RPC_S_PROCNUM_OUT_OF_RANGE },
        { NCA_S_UNK_IF, RPC_S_UNKNOWN_IF },
        { NCA_S_PROTO_ERROR, RPC_S_PROTOCOL_ERROR },
        { NCA_S_SERVER_TOO_BUSY, RPC_S_SERVER_TOO_BUSY },
        { NCA_S_UNSUPPORTED_TYPE, RPC_S_UNSUPPORTED_TYPE },
        { NCA_S_FAULT_INT_DIV_BY_ZERO, RPC_S_ZERO_DIVIDE },
        { NCA_S_FAULT_ADDR_ERROR, RPC_S_ADDRESS_ERROR },
        { NCA_S_FAULT_FP_DIV_ZERO, RPC_S_FP_DIV_ZERO },
        { NCA_S_FAULT_FP_UNDERFLOW, RPC_S_FP_UNDERFLOW },
        { NCA_S_FAULT_FP_OVERFLOW, RPC_S_FP_OVERFLOW },
        { NCA_S_FAULT_INVALID_TAG, RPC_S_INVALID_TAG },
        { NCA_S_FAULT_INVALID_BOUND, RPC_S_INVALID_BOUND },
        { NCA_S_MANAGER_NOT_ENTERED, RPC_S_CALL_FAILED_DNE },
        { NCA_S_FAULT_CANCEL, RPC_S_CALL_CANCELLED },
        { NCA_S_FAULT_UNSPEC, RPC_S_CALL_FAILED },
        { NCA_S_FAULT_PIPE_EMPTY, RPC_X_PIPE_EMPTY },
        { NCA_S_FAULT_PIPE_CLOSED, RPC_X_PIPE_CLOSED },
        { NCA_S_FAULT_PIPE_ORDER, RPC_X_WRONG_PIPE_ORDER },
        { NCA_S_FAULT_PIPE_DISCIPLINE, RPC_X_PIPE_DISCIPLINE_ERROR },
        { NCA_S_FAULT_CONTEXT_MISMATCH, RPC_X_SS_CONTEXT_MISMATCH },
        { NCA_S_FAULT_REMOTE_NO_MEMORY, RPC_S_SERVER_OUT_OF_MEMORY },
        { NCA_S_UNSUPPORTED_AUTHN_LEVEL, RPC_S_UNSUPPORTED_AUTHN_LEVEL },
        { NCA_S_FAULT_TX_OPEN_FAILED, RPC_X_SS_CHAR_TRANS_OPEN_FAIL },
        { NCA_S_FAULT_OBJECT_NOT_FOUND, RPC_S_OBJECT_NOT_FOUND },
};

TEST(fault_round_trips) {
        for (size_t i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]); i++) {
                ASSERT_HR_EQ(dcom_status_from_fault(round_trips[i].fault), round_trips[i].status);
                ASSERT_HR_EQ(dcom_fault_from_status(round_trips[i].status), round_trips[i].fault);
        }
}

TEST(fault_one_way) {
        /* [MS-RPCE] 3.1.1.5.5: many faults, one status. */
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_YOU_CRASHED), RPC_S_CALL_FAILED);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_OUT_ARGS_TOO_BIG), RPC_S_SERVER_OUT_OF_MEMORY);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_RPC_VERSION_MISMATCH), RPC_S_PROTOCOL_ERROR);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_UNSPEC_REJECT), RPC_S_CALL_FAILED);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_BAD_ACTID), RPC_S_CALL_FAILED_DNE);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_WHO_ARE_YOU_FAILED), RPC_S_CALL_FAILED);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_ILL_INST), RPC_S_ADDRESS_ERROR);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_FP_ERROR), RPC_S_FP_OVERFLOW);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_INT_OVERFLOW), RPC_S_ADDRESS_ERROR);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_PIPE_COMM_ERROR), RPC_S_COMM_FAILURE);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_PIPE_MEMORY), RPC_S_OUT_OF_MEMORY);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_INVALID_PRES_CONTEXT_ID), RPC_S_PROTOCOL_ERROR);
        /* "Not mapped": the fault status itself reaches the caller. */
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_WRONG_BOOT_TIME), NCA_S_WRONG_BOOT_TIME);
        ASSERT_HR_EQ(dcom_status_from_fault(NCA_S_FAULT_REMOTE_COMM_FAILURE),
                     NCA_S_FAULT_REMOTE_COMM_FAILURE);
        /* Server side: several statuses share a fault. */
        ASSERT_HR_EQ(dcom_fault_from_status(RPC_S_NOT_LISTENING), NCA_S_SERVER_TOO_BUSY);
        ASSERT_HR_EQ(dcom_fault_from_status(RPC_X_SS_HANDLES_MISMATCH), NCA_S_FAULT_CONTEXT_MISMATCH);
        ASSERT_HR_EQ(dcom_fault_from_status(ERROR_OUTOFMEMORY), NCA_S_FAULT_REMOTE_NO_MEMORY);
}

TEST(fault_pass_through) {
        /* Win32 codes and HRESULTs in a fault PDU are statuses already ([MS-RPCE] 3.3.3.5.1:
         * access denied goes on the wire as 5, bad stub data as 0x6F7). */
        ASSERT_HR_EQ(dcom_status_from_fault(ERROR_ACCESS_DENIED), ERROR_ACCESS_DENIED);
        ASSERT_HR_EQ(dcom_status_from_fault(RPC_X_BAD_STUB_DATA), RPC_X_BAD_STUB_DATA);
        ASSERT_HR_EQ(dcom_status_from_fault(0x80004005u), E_FAIL);
        ASSERT_HR_EQ(dcom_fault_from_status(ERROR_ACCESS_DENIED), ERROR_ACCESS_DENIED);
        ASSERT_HR_EQ(dcom_fault_from_status(RPC_X_BAD_STUB_DATA), RPC_X_BAD_STUB_DATA);
        ASSERT_HR_EQ(dcom_fault_from_status(E_NOINTERFACE), 0x80004002u);
}

TEST(every_nca_code_maps_consistently) {
        size_t n = 0;
        const struct dcom_status_info *t = dcom_status_table(&n);

        for (size_t i = 0; i < n; i++) {
                RPC_STATUS s;

                if (t[i].kind != DCOM_STATUS_NCA)
                        continue;
                s = dcom_status_from_fault(t[i].code);
                if ((uint32_t)s == t[i].code)
                        continue;       /* not mapped */
                /* A mapped fault gives a Win32 status in the table... */
                if (!dcom_status_lookup(DCOM_STATUS_WIN32, (uint32_t)s))
                        test_fail(__FILE__, __LINE__, "%s maps to unknown status %" PRId32,
                                  t[i].name, s);
                /* ...that a server sends as a fault the client maps back to it.  Except
                 * out of memory: a client reads nca_s_fault_pipe_memory as
                 * RPC_S_OUT_OF_MEMORY, but a server out of memory sends
                 * nca_s_fault_remote_no_memory (Wine), which reads as
                 * RPC_S_SERVER_OUT_OF_MEMORY -- the memory ran out over there. */
                if (s == RPC_S_OUT_OF_MEMORY)
                        ASSERT_HR_EQ(dcom_fault_from_status(s), NCA_S_FAULT_REMOTE_NO_MEMORY);
                else
                        ASSERT_HR_EQ(dcom_status_from_fault(dcom_fault_from_status(s)), s);
        }
}

TEST(errno_mapping) {
        ASSERT_HR_EQ(dcom_hresult_from_errno(0), S_OK);
        ASSERT_HR_EQ(dcom_hresult_from_errno(ENOMEM), E_OUTOFMEMORY);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ENOMEM), E_OUTOFMEMORY);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EINVAL), E_INVALIDARG);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EACCES), E_ACCESSDENIED);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EPERM), E_ACCESSDENIED);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ENOENT), HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ECONNREFUSED), 0x800706BAu);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EHOSTUNREACH), 0x800706BAu);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ENETUNREACH), 0x800706BAu);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ETIMEDOUT), HRESULT_FROM_WIN32(ERROR_TIMEOUT));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ECONNRESET), HRESULT_FROM_WIN32(RPC_S_CALL_FAILED));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EPIPE), HRESULT_FROM_WIN32(RPC_S_CALL_FAILED));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EBADMSG), HRESULT_FROM_WIN32(RPC_S_PROTOCOL_ERROR));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EPROTO), HRESULT_FROM_WIN32(RPC_S_PROTOCOL_ERROR));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ERANGE), HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ENOTSUP), E_NOTIMPL);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EOPNOTSUPP), E_NOTIMPL);
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EEXIST), HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ENOSPC), HRESULT_FROM_WIN32(ERROR_DISK_FULL));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-ECANCELED), HRESULT_FROM_WIN32(ERROR_CANCELLED));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EAGAIN), HRESULT_FROM_WIN32(RPC_S_SERVER_TOO_BUSY));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EBUSY), HRESULT_FROM_WIN32(RPC_S_SERVER_TOO_BUSY));
        ASSERT_HR_EQ(dcom_hresult_from_errno(-EILSEQ),
                     HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION));
        /* Unknown errno values, and INT_MIN whose negation overflows, are E_FAIL. */
        ASSERT_HR_EQ(dcom_hresult_from_errno(-100000), E_FAIL);
        ASSERT_HR_EQ(dcom_hresult_from_errno(INT_MIN), E_FAIL);
        ASSERT_HR_EQ(dcom_hresult_from_errno(INT_MAX), E_FAIL);
}

/* What each place an internal error leaves through gives (src/base/status.c's table). */
TEST(errno_status_by_use) {
        /* a client call or binding operation (rpc_binding_status, RpcRaiseException) */
        ASSERT_EQ(dcom_rpc_status_from_errno(0), RPC_S_OK);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ECONNREFUSED), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ENOENT), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EHOSTUNREACH), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ENETUNREACH), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EADDRNOTAVAIL), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ECONNRESET), RPC_S_CALL_FAILED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EPIPE), RPC_S_CALL_FAILED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ECONNABORTED), RPC_S_CALL_FAILED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EREMOTEIO), RPC_S_CALL_FAILED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ETIMEDOUT), RPC_S_CALL_FAILED_DNE);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ENXIO), RPC_S_UNKNOWN_IF);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ENODATA), EPT_S_NOT_REGISTERED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EBUSY), RPC_S_SERVER_TOO_BUSY);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EPROTO), RPC_S_PROTOCOL_ERROR);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EBADMSG), RPC_S_PROTOCOL_ERROR);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ENOMEM), RPC_S_OUT_OF_MEMORY);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EPROTONOSUPPORT), RPC_S_PROTSEQ_NOT_SUPPORTED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EINVAL), RPC_S_INVALID_BINDING);
        ASSERT_EQ(dcom_rpc_status_from_errno(-EACCES), ERROR_ACCESS_DENIED);
        ASSERT_EQ(dcom_rpc_status_from_errno(-ERANGE), RPC_X_BAD_STUB_DATA);
        /* the string-binding functions: the string is what is wrong */
        ASSERT_EQ(dcom_string_binding_status_from_errno(0), RPC_S_OK);
        ASSERT_EQ(dcom_string_binding_status_from_errno(-EINVAL), RPC_S_INVALID_STRING_BINDING);
        ASSERT_EQ(dcom_string_binding_status_from_errno(-ENAMETOOLONG),
                  RPC_S_INVALID_STRING_BINDING);
        ASSERT_EQ(dcom_string_binding_status_from_errno(-ENOMEM), RPC_S_OUT_OF_MEMORY);
        ASSERT_EQ(dcom_string_binding_status_from_errno(-EPROTONOSUPPORT),
                  RPC_S_PROTSEQ_NOT_SUPPORTED);
        ASSERT_EQ(dcom_string_binding_status_from_errno(-EREMOTEIO), RPC_S_CALL_FAILED);
        /* creating a listener */
        ASSERT_EQ(dcom_endpoint_status_from_errno(-EADDRINUSE), RPC_S_DUPLICATE_ENDPOINT);
        ASSERT_EQ(dcom_endpoint_status_from_errno(-EINVAL), RPC_S_INVALID_ENDPOINT_FORMAT);
        ASSERT_EQ(dcom_endpoint_status_from_errno(-ENAMETOOLONG), RPC_S_INVALID_ENDPOINT_FORMAT);
        ASSERT_EQ(dcom_endpoint_status_from_errno(-ENOMEM), RPC_S_OUT_OF_MEMORY);
        ASSERT_EQ(dcom_endpoint_status_from_errno(-EACCES), RPC_S_CANT_CREATE_ENDPOINT);
        /* a server's fault for a stub's or the dispatch's error */
        ASSERT_EQ(dcom_fault_from_errno(-EOPNOTSUPP), NCA_S_OP_RNG_ERROR);
        ASSERT_EQ(dcom_fault_from_errno(-ESTALE), NCA_S_FAULT_CONTEXT_MISMATCH);
        ASSERT_EQ(dcom_fault_from_errno(-EACCES), ERROR_ACCESS_DENIED);
        ASSERT_EQ(dcom_fault_from_errno(-EPERM), ERROR_ACCESS_DENIED);
        ASSERT_EQ(dcom_fault_from_errno(-E2BIG), NCA_S_FAULT_REMOTE_NO_MEMORY);
        ASSERT_EQ(dcom_fault_from_errno(-ENOMEM), NCA_S_FAULT_REMOTE_NO_MEMORY);
        ASSERT_EQ(dcom_fault_from_errno(-ENOSPC), NCA_S_FAULT_REMOTE_NO_MEMORY);
        ASSERT_EQ(dcom_fault_from_errno(-EPROTONOSUPPORT), NCA_S_RPC_VERSION_MISMATCH);
        ASSERT_EQ(dcom_fault_from_errno(-EBADMSG), dcom_fault_from_status(RPC_X_BAD_STUB_DATA));
        ASSERT_EQ(dcom_fault_from_errno(-ERANGE), dcom_fault_from_status(RPC_X_BAD_STUB_DATA));
        ASSERT_EQ(dcom_fault_from_errno(-ELOOP), dcom_fault_from_status(RPC_X_BAD_STUB_DATA));
        /* the endpoint mapper's error_status_t */
        ASSERT_EQ(dcom_ept_status_from_errno(0), EPT_S_OK);
        ASSERT_EQ(dcom_ept_status_from_errno(-ENOMEM), EPT_S_NO_MEMORY_DCE);
        ASSERT_EQ(dcom_ept_status_from_errno(-ENOSPC), EPT_S_NO_MEMORY_DCE);
        ASSERT_EQ(dcom_ept_status_from_errno(-EBADMSG), EPT_S_INVALID_ENTRY_DCE);
        ASSERT_EQ(dcom_ept_status_from_errno(-E2BIG), EPT_S_INVALID_ENTRY_DCE);
        ASSERT_EQ(dcom_ept_status_from_errno(-ENOENT), EPT_S_NOT_REGISTERED_DCE);
        ASSERT_EQ(dcom_ept_status_from_errno(-EACCES), EPT_S_ACCESS_DENIED);
        ASSERT_EQ(dcom_ept_status_from_errno(-EINVAL), EPT_S_CANT_PERFORM_OP_DCE);
}

/*
 * No errno value reaches a caller as an RPC_STATUS: every one is a Win32 status of the
 * table -- or, as before the table was one, the code of the HRESULT an errno gives when
 * that HRESULT is not a Win32 one (E_FAIL for an errno the table does not know, E_POINTER,
 * E_NOTIMPL).
 */
TEST(errno_never_a_status) {
        for (int e = 1; e < 200; e++) {
                RPC_STATUS st[] = {dcom_rpc_status_from_errno(-e),
                                   dcom_string_binding_status_from_errno(-e),
                                   dcom_endpoint_status_from_errno(-e)};
                for (size_t k = 0; k < sizeof st / sizeof st[0]; k++)
                        if (!dcom_status_lookup(DCOM_STATUS_WIN32, (uint32_t)st[k]) &&
                            (HRESULT_FACILITY(dcom_hresult_from_errno(-e)) == FACILITY_WIN32 ||
                             st[k] != HRESULT_CODE(dcom_hresult_from_errno(-e))))
                                test_fail(__FILE__, __LINE__,
                                          "errno %d -> %d (use %zu) is not a status", e, (int)st[k],
                                          k);
        }
}

TEST(errno_results_have_messages) {
        /* Whatever errno a layer fails with, the caller gets a code the table explains. */
        for (int e = 0; e < 200; e++) {
                HRESULT hr = dcom_hresult_from_errno(-e);
                if (!dcom_hresult_message(hr))
                        test_fail(__FILE__, __LINE__, "errno %d -> 0x%08" PRIX32 " has no message",
                                  e, (uint32_t)hr);
        }
}
