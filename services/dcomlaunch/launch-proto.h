/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire between rpcss and dcomlaunch, over the Unix stream socket "dcomlaunch" in
 * the machine's runtime directory (/run/opendcom, or OPENDCOM_ROOT/run for a private
 * instance).  Fixed-size little-endian records, one request per connection:
 *
 *   client -> dcomlaunch   request  { u32 version = 1; u32 flags; GUID clsid (16 bytes,
 *                                     Windows' layout: Data1..3 little-endian);
 *                                     u32 launching_uid }                      28 bytes
 *   dcomlaunch -> client   reply    { u32 kind = STARTED; i32 hresult; u32 pid }   12 bytes
 *                                     S_OK with the server's pid, or a failure with 0
 *                          and, after S_OK, while the client keeps the connection open:
 *                          notice   { u32 kind = EXITED; i32 hresult =
 *                                     CO_E_SERVER_EXEC_FAILURE; u32 wait_status }   12 bytes
 *                                     when that server exits (then dcomlaunch closes)
 *
 * With LAUNCH_FLAG_SERVICE_START or LAUNCH_FLAG_SERVICE_PID the GUID is an AppID, not a
 * class: dcomlaunch reads HKCR\AppID\{appid}\LocalService itself (rpcss never names the
 * unit: nothing in the record can), checks it is a unit name (launch_unit_name_ok), and
 * runs the service manager -- `start --no-block NAME.service`, or `show -p MainPID
 * --value NAME.service` -- answering one STARTED record { S_OK, the unit's MainPID (0:
 * none yet) } or a failure (CO_E_APPNOTFOUND: no LocalService or not a unit name;
 * CO_E_SERVER_EXEC_FAILURE: the service manager failed), then closing the connection.
 * launching_uid is 0 in such a request.
 *
 * The client closes the connection when it no longer cares (the server registered its
 * class, or it gave up).  A malformed request (short, wrong version, unknown flags) is
 * answered with E_INVALIDARG or the connection is just closed.
 *
 * The codecs are inline so that the service, the client (launch-client.c) and the fuzz
 * target share one definition of the format.
 */
#ifndef OPENDCOM_LAUNCH_PROTO_H
#define OPENDCOM_LAUNCH_PROTO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dcom/guid.h>
#include <dcom/types.h>

/* The socket: paths_runtime()/dcomlaunch (/run/opendcom, or OPENDCOM_ROOT/run) */
#define LAUNCH_SOCKET_NAME "dcomlaunch"
#define LAUNCH_PROTO_VERSION 1u

/* request flags */
#define LAUNCH_FLAG_REMOTE 0x1u                 /* a remote client's activation */
#define LAUNCH_FLAG_SERVICE_START 0x2u          /* start the LocalService of the AppID */
#define LAUNCH_FLAG_SERVICE_PID 0x4u            /* the MainPID of the AppID's LocalService */
#define LAUNCH_FLAGS_SERVICE (LAUNCH_FLAG_SERVICE_START | LAUNCH_FLAG_SERVICE_PID)
#define LAUNCH_FLAGS_KNOWN (LAUNCH_FLAG_REMOTE | LAUNCH_FLAGS_SERVICE)

/* The longest LocalService name (without ".service") dcomlaunch accepts */
#define LAUNCH_UNIT_NAME_MAX 200

/* reply kinds */
#define LAUNCH_REPLY_STARTED 1u
#define LAUNCH_REPLY_EXITED 2u

#define LAUNCH_REQUEST_SIZE 28
#define LAUNCH_REPLY_SIZE 12

struct launch_msg_request {
        uint32_t version;
        uint32_t flags;
        GUID clsid;
        uint32_t launching_uid;
};

struct launch_msg_reply {
        uint32_t kind;                  /* LAUNCH_REPLY_* */
        HRESULT hresult;
        uint32_t value;                 /* STARTED: the pid; EXITED: the wait status */
};

static inline void launch_put_u32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t launch_get_u32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void launch_request_encode(const struct launch_msg_request *m,
                                         uint8_t out[LAUNCH_REQUEST_SIZE]) {
        launch_put_u32(out, m->version);
        launch_put_u32(out + 4, m->flags);
        dcom_guid_to_wire(&m->clsid, out + 8);
        launch_put_u32(out + 24, m->launching_uid);
}

/*
 * Exactly LAUNCH_REQUEST_SIZE bytes: 0, or -EBADMSG (wrong size), -EPROTONOSUPPORT
 * (another version), -EINVAL (unknown flags, or both service flags, or a service request
 * with a launching uid).  *ret only on success.
 */
static inline int launch_request_decode(const uint8_t *p, size_t len,
                                        struct launch_msg_request *ret) {
        struct launch_msg_request m;

        if (len != LAUNCH_REQUEST_SIZE)
                return -EBADMSG;
        m.version = launch_get_u32(p);
        if (m.version != LAUNCH_PROTO_VERSION)
                return -EPROTONOSUPPORT;
        m.flags = launch_get_u32(p + 4);
        if ((m.flags & ~LAUNCH_FLAGS_KNOWN) ||
            (m.flags & LAUNCH_FLAGS_SERVICE) == LAUNCH_FLAGS_SERVICE)
                return -EINVAL;
        dcom_guid_from_wire(p + 8, &m.clsid);
        m.launching_uid = launch_get_u32(p + 24);
        if ((m.flags & LAUNCH_FLAGS_SERVICE) && m.launching_uid != 0)
                return -EINVAL;
        *ret = m;
        return 0;
}

static inline void launch_reply_encode(const struct launch_msg_reply *m,
                                       uint8_t out[LAUNCH_REPLY_SIZE]) {
        launch_put_u32(out, m->kind);
        launch_put_u32(out + 4, (uint32_t)m->hresult);
        launch_put_u32(out + 8, m->value);
}

/* Exactly LAUNCH_REPLY_SIZE bytes of a known kind: 0, or -EBADMSG. */
static inline int launch_reply_decode(const uint8_t *p, size_t len, struct launch_msg_reply *ret) {
        struct launch_msg_reply m;

        if (len != LAUNCH_REPLY_SIZE)
                return -EBADMSG;
        m.kind = launch_get_u32(p);
        if (m.kind != LAUNCH_REPLY_STARTED && m.kind != LAUNCH_REPLY_EXITED)
                return -EBADMSG;
        m.hresult = (HRESULT)launch_get_u32(p + 4);
        m.value = launch_get_u32(p + 8);
        *ret = m;
        return 0;
}

/*
 * A LocalService value dcomlaunch passes to the service manager: 1 to LAUNCH_UNIT_NAME_MAX
 * characters of systemd's unit-name alphabet (letters, digits, ":_.@-"), not starting
 * with '-' (no option), so never a path, a space or a second argument.
 */
static inline bool launch_unit_name_ok(const char *s) {
        size_t n = 0;

        if (!s || !*s || *s == '-')
                return false;
        for (const char *p = s; *p; p++, n++) {
                char ch = *p;
                if (n >= LAUNCH_UNIT_NAME_MAX ||
                    !(('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') ||
                      ('0' <= ch && ch <= '9') || ch == ':' || ch == '_' || ch == '.' ||
                      ch == '@' || ch == '-'))
                        return false;
        }
        return true;
}

#endif /* OPENDCOM_LAUNCH_PROTO_H */
