/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * String bindings as RpcStringBindingParse/Compose have them:
 *      [ObjectUuid@]ProtSeq:[NetworkAddr][[Endpoint][,Option=Value]...]
 * e.g. ncacn_ip_tcp:127.0.0.1[135], ncalrpc:[epmapper], 1234...@ncacn_ip_tcp:host.
 * A backslash escapes the next character ('@', ':', '[', ']', ',', '\').
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc-internal.h"

static const struct {
        const char *name;
        enum rpc_protseq protseq;
} protseqs[] = {
        { "ncacn_ip_tcp", RPC_PROTSEQ_TCP },
        { "ncalrpc", RPC_PROTSEQ_LRPC },
};

const char *rpc_protseq_name(enum rpc_protseq p) {
        for (size_t i = 0; i < ELEMENTSOF(protseqs); i++)
                if (protseqs[i].protseq == p)
                        return protseqs[i].name;
        return NULL;
}

/* Copies up to one of the stop characters (unescaping); -ENAMETOOLONG past size. */
static int take(const char **sp, const char *stops, char *out, size_t size) {
        const char *s = *sp;
        size_t n = 0;

        while (*s && !strchr(stops, *s)) {
                if (*s == '\\' && s[1])
                        s++;
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                out[n++] = *s++;
        }
        out[n] = 0;
        *sp = s;
        return 0;
}

int rpc_string_binding_parse(const char *str, struct rpc_string_binding *b) {
        const char *s = str;
        char tmp[64];
        int r;

        memset(b, 0, sizeof *b);
        if (!str)
                return -EINVAL;
        /* an object uuid before '@' */
        const char *at = strchr(s, '@');
        const char *colon = strchr(s, ':');
        if (at && (!colon || at < colon)) {
                if ((size_t)(at - s) >= sizeof tmp)
                        return -EINVAL;
                memcpy(tmp, s, (size_t)(at - s));
                tmp[at - s] = 0;
                if (dcom_guid_parse(tmp, &b->object) < 0)
                        return -EINVAL;
                b->has_object = true;
                s = at + 1;
        }
        if ((r = take(&s, ":", tmp, sizeof tmp)) < 0 || *s != ':')
                return -EINVAL;
        s++;
        for (size_t i = 0; i < ELEMENTSOF(protseqs); i++)
                if (strcmp(tmp, protseqs[i].name) == 0)
                        b->protseq = protseqs[i].protseq;
        if (b->protseq == RPC_PROTSEQ_NONE)
                return -EPROTONOSUPPORT;        /* RPC_S_PROTSEQ_NOT_SUPPORTED */
        if ((r = take(&s, "[", b->host, sizeof b->host)) < 0)
                return r;
        if (*s == '[') {
                s++;
                if ((r = take(&s, ",]", b->endpoint, sizeof b->endpoint)) < 0)
                        return r;
                /* DCE's spelling: [endpoint=135] */
                if (strncmp(b->endpoint, "endpoint=", 9) == 0)
                        memmove(b->endpoint, b->endpoint + 9, strlen(b->endpoint + 9) + 1);
                while (*s == ',') {
                        char opt[96];
                        s++;
                        if ((r = take(&s, ",]", opt, sizeof opt)) < 0)
                                return r;
                        /* endpoint=X is the endpoint spelled as an option */
                        if (strncmp(opt, "endpoint=", 9) == 0) {
                                if (strlen(opt + 9) >= sizeof b->endpoint)
                                        return -ENAMETOOLONG;
                                memcpy(b->endpoint, opt + 9, strlen(opt + 9) + 1);
                        }
                        else if (b->n_options < RPC_MAX_BINDING_OPTIONS)
                                snprintf(b->options[b->n_options++], sizeof b->options[0], "%s", opt);
                }
                if (*s != ']')
                        return -EINVAL;
                s++;
        }
        if (*s)
                return -EINVAL;
        /* a TCP endpoint is a port number */
        if (b->protseq == RPC_PROTSEQ_TCP && b->endpoint[0]) {
                char *end;
                unsigned long port = strtoul(b->endpoint, &end, 10);
                if (*end || port == 0 || port > 65535)
                        return -EINVAL;
        }
        return 0;
}

static void put_escaped(FILE *f, const char *s) {
        for (; *s; s++) {
                if (strchr("@:[],\\", *s))
                        fputc('\\', f);
                fputc(*s, f);
        }
}

char *rpc_string_binding_compose(const struct rpc_string_binding *b) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        const char *ps = rpc_protseq_name(b->protseq);

        if (!f)
                return NULL;
        if (!ps) {
                fclose(f);
                free(out);
                return NULL;
        }
        if (b->has_object) {
                char g[DCOM_GUID_STRING_REG];
                fprintf(f, "%s@", dcom_guid_format(&b->object, DCOM_GUID_FORMAT_BARE, g));
        }
        fprintf(f, "%s:", ps);
        /* an IPv6 literal has colons, which the parser takes up to '[' anyway */
        for (const char *h = b->host; *h; h++) {
                if (strchr("@[],\\", *h))
                        fputc('\\', f);
                fputc(*h, f);
        }
        if (b->endpoint[0] || b->n_options) {
                fputc('[', f);
                put_escaped(f, b->endpoint);
                for (unsigned i = 0; i < b->n_options; i++) {
                        fputc(',', f);
                        fputs(b->options[i], f);
                }
                fputc(']', f);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
