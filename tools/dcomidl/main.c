/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl: OpenDCOM's MIDL-compatible IDL compiler: the front end, FILE.h and FILE_i.c,
 * and the NDR stubs (stubs.c): FILE_stub.h with FILE_c.c and FILE_s.c when the file
 * defines RPC interfaces, FILE_p.c (proxies and stubs) when it defines remotable object
 * interfaces -- by default as midl does, or exactly what --client/--server/--proxy ask
 * for (an asked-for file is written even when empty).  Command line like midl/widl;
 * errors as `file:line:col: error:` and exit 1 with no output written (outputs go to a
 * temporary name and are renamed only once everything succeeded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/version.h"
#include "idl.h"

static void usage(FILE *f) {
        fputs("Usage: dcomidl [OPTION]... FILE.idl\n"
              "Compiles MIDL interface definitions into a C header, GUID definitions and\n"
              "NDR stubs.\n\n"
              "  -I DIR                 search DIR for imports and #include files\n"
              "  -D NAME[=VALUE]        define a preprocessor macro\n"
              "  -o DIR                 write outputs to DIR (default: .)\n"
              "  -h, --header FILE      header file name (default: FILE.h)\n"
              "      --no-header        do not write the header\n"
              "      --iid              write the GUID definitions (the default)\n"
              "      --iid-file FILE    GUID definitions file name (default: FILE_i.c)\n"
              "      --no-iid           do not write the GUID definitions\n"
              "      --client           write the client stubs FILE_c.c and FILE_stub.h (by\n"
              "                         default when the file defines RPC interfaces)\n"
              "      --client-file FILE client stubs file name (default: FILE_c.c)\n"
              "      --no-client        do not write the client stubs\n"
              "      --server           write the server stubs FILE_s.c and FILE_stub.h\n"
              "      --server-file FILE server stubs file name (default: FILE_s.c)\n"
              "      --no-server        do not write the server stubs\n"
              "      --proxy            write the proxies and stubs FILE_p.c and FILE_stub.h (by\n"
              "                         default when the file defines object interfaces)\n"
              "      --proxy-file FILE  proxy file name (default: FILE_p.c)\n"
              "      --no-proxy         do not write the proxies\n"
              "      --no-stubs         header and GUIDs only (--no-client --no-server --no-proxy)\n"
              "      --status-stubs     RPC client stubs in the status-returning form:\n"
              "                         int IFACE_METHOD(handle_t, args..., RET *ret): 0 or a\n"
              "                         negative errno, the method's value in *ret.  Without it\n"
              "                         (MIDL's form) the client procedure is METHOD(args...),\n"
              "                         returns the method's type and raises the call's\n"
              "                         RPC_STATUS (RpcRaiseException) when the call fails; the\n"
              "                         server stub's default manager EPV (RpcServerRegisterIf\n"
              "                         with a NULL EPV) is the program's functions METHOD; and\n"
              "                         FILE.h includes <rpc.h> and <rpcndr.h>\n"
              "      --stub-header FILE stub declarations file name (default: FILE_stub.h)\n"
              "      --dlldata FILE     with the proxies, write FILE (midl's /dlldata), the\n"
              "                         proxy/stub library's list of proxy files for\n"
              "                         <rpcproxy.h>'s DLLDATA_ROUTINES; the files an existing\n"
              "                         FILE lists are kept and FILE_ProxyFileInfo joins them\n"
              "      --tlb FILE         write the library block's type library to FILE (midl's\n"
              "                         /tlb, widl -t): an MSFT .tlb for 64-bit Windows\n"
              "                         (SYS_WIN64), or 32-bit with --win32 (see dcomidl(1))\n"
              "      --win32, --win64   the type library's platform (default: --win64)\n"
              "      --acf FILE         the application configuration file (MIDL's /acf);\n"
              "                         by default FILE.acf beside FILE.idl when it exists:\n"
              "                         [implicit_handle], [explicit_handle], typedef\n"
              "                         [encode, decode] (see dcomidl(1))\n"
              "      --no-acf           read no ACF\n"
              "      --depfile FILE     write Makefile-style dependencies (imports, includes)\n"
              "      --cpp COMMAND      preprocessor (default: $DCOMIDL_CPP or cpp)\n"
              "      --help             show this help\n"
              "      --version          show the version\n\n"
              "Examples:\n"
              "  dcomidl -I /usr/include/dcom/win -o out widget.idl\n"
              "  dcomidl --no-client hello.idl     (an RPC server: hello.h, hello_s.c)\n\n"
              "Errors are printed as FILE:LINE:COL: error: ... and no output is written.\n"
              "Exit status: 0 done; 1 failed (errors in the IDL, an input that cannot be read,\n"
              "an output that cannot be written, or a bad command line).  See dcomidl(1).\n", f);
}

static char *path_join(const char *dir, const char *name) {
        size_t n = strlen(dir) + strlen(name) + 2;
        char *p = malloc(n);
        if (!p)
                abort();
        if (name[0] == '/' || !dir[0])
                snprintf(p, n, "%s", name);
        else
                snprintf(p, n, "%s/%s", dir, name);
        return p;
}

struct output {
        char *path, *tmp;
};

static int open_output(struct output *out, FILE **ret) {
        size_t n = strlen(out->path) + 16;
        out->tmp = malloc(n);
        if (!out->tmp)
                abort();
        snprintf(out->tmp, n, "%s.tmp%ld", out->path, (long)getpid());
        *ret = fopen(out->tmp, "w");
        if (!*ret) {
                fprintf(stderr, "dcomidl: cannot write %s: %s\n", out->tmp, strerror(errno));
                free(out->tmp);
                out->tmp = NULL;
                return -errno;
        }
        return 0;
}

static int close_output(struct output *out, FILE *f, int r) {
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        /* -EINVAL: the IDL's errors, already told */
        if (r < 0 && r != -EINVAL)
                fprintf(stderr, "dcomidl: writing %s failed: %s\n", out->tmp, strerror(-r));
        return r;
}

/*
 * MIDL's dlldata.c: the proxy files of one proxy/stub library (EXTERN_PROXY_FILE and
 * REFERENCE_PROXY_FILE of each), then DLLDATA_ROUTINES (<rpcproxy.h>).  As midl does,
 * the names an existing file lists are kept, so that compiling each IDL file of a
 * library with the same --dlldata builds up the list; name joins them.  Names are read
 * back only as C identifiers of at most 255 characters, at most MAX_DLLDATA of them.
 */
#define MAX_DLLDATA 256

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int write_dlldata(FILE *f, const char *existing, const char *name) {
        char *names[MAX_DLLDATA + 1];
        size_t n = 0;
        FILE *in = fopen(existing, "r");

        if (in) {
                static const char tag[] = "REFERENCE_PROXY_FILE(";
                char line[1024];
                while (fgets(line, sizeof line, in) && n < MAX_DLLDATA) {
                        char *p = strstr(line, tag), id[256];
                        size_t k = 0;
                        if (!p)
                                continue;
                        for (p += sizeof tag - 1; *p == ' ' || *p == '\t'; p++)
                                ;
                        while (k < sizeof id - 1 &&
                               ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                                (k && *p >= '0' && *p <= '9')))
                                id[k++] = *p++;
                        id[k] = 0;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (!k || *p != ')')
                                continue;       /* not one of ours: MIDL's comments */
                        if (!(names[n++] = strdup(id)))
                                abort();
                }
                fclose(in);
        }
        bool have = false;
        for (size_t i = 0; i < n; i++)
                have |= strcmp(names[i], name) == 0;
        if (!have) {
                if (n >= MAX_DLLDATA) {
                        fprintf(stderr, "dcomidl: %s lists %d proxy files already\n", existing,
                                MAX_DLLDATA);
                        for (size_t i = 0; i < n; i++)
                                free(names[i]);
                        return -E2BIG;
                }
                if (!(names[n++] = strdup(name)))
                        abort();
        }
        qsort(names, n, sizeof *names, name_cmp);
        fputs("/* Generated by dcomidl (--dlldata): do not edit.  The proxy files of one\n"
              "   proxy/stub library; each IDL file compiled with the same --dlldata joins the\n"
              "   list.  Build the library from it, each FILE_p.c and FILE_i.c, with\n"
              "   -DREGISTER_PROXY_DLL for DllRegisterServer (see <rpcproxy.h>). */\n\n", f);
        fputs("#include <rpcproxy.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "EXTERN_PROXY_FILE(%s)\n", names[i]);
        fputs("\nPROXYFILE_LIST_START\n/* Start of list */\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "        REFERENCE_PROXY_FILE(%s),\n", names[i]);
        fputs("/* End of list */\nPROXYFILE_LIST_END\n\n", f);
        fputs("DLLDATA_ROUTINES(aProxyFileList, GET_DLL_CLSID)\n\n", f);
        fputs("#ifdef __cplusplus\n}\n#endif\n", f);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return 0;
}

static void write_dep_path(FILE *f, const char *p) {
        for (; *p; p++) {
                if (*p == ' ' || *p == '#')
                        fputc('\\', f);
                if (*p == '$')
                        fputc('$', f);
                fputc(*p, f);
        }
}

int main(int argc, char **argv) {
        struct idl_ctx ctx;
        const char *outdir = ".", *header = NULL, *iid = NULL, *depfile = NULL, *input = NULL;
        const char *client = NULL, *server = NULL, *proxy = NULL, *stub_header = NULL;
        const char *dlldata = NULL, *acf = NULL, *tlb = NULL;
        struct idl_tlb_opts tlb_opts = { 0 };
        bool want_header = true, want_iid = true, want_acf = true;
        int want_client = -1, want_server = -1, want_proxy = -1;        /* -1: by content */
        int r, ret = 1;

        idl_ctx_init(&ctx);
        const char *cpp_env = getenv("DCOMIDL_CPP");
        if (cpp_env && *cpp_env)
                ctx.cpp = cpp_env;
        ctx.incdirs = calloc((size_t)argc + 1, sizeof *ctx.incdirs);
        ctx.defines = calloc((size_t)argc + 1, sizeof *ctx.defines);
        if (!ctx.incdirs || !ctx.defines)
                abort();

        static const char *const with_arg[] = { "-I", "-D", "-o", "-h", "--header", "--iid-file",
                                                "--depfile", "--cpp", "--client-file",
                                                "--server-file", "--stub-header", "--proxy-file",
                                                "--dlldata", "--acf", "--tlb" };
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *val = NULL;

                if (strcmp(a, "--help") == 0) {
                        usage(stdout);
                        ret = 0;
                        goto out;
                }
                if (strcmp(a, "--version") == 0) {
                        printf("dcomidl (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        ret = 0;
                        goto out;
                }
                if ((strncmp(a, "-I", 2) == 0 || strncmp(a, "-D", 2) == 0) && a[2]) {
                        val = a + 2;            /* -IDIR, -DNAME */
                } else {
                        for (size_t k = 0; k < sizeof with_arg / sizeof *with_arg; k++) {
                                if (strcmp(a, with_arg[k]) != 0)
                                        continue;
                                if (i + 1 >= argc) {
                                        fprintf(stderr, "dcomidl: option %s needs an argument\n", a);
                                        goto out;
                                }
                                val = argv[++i];
                                break;
                        }
                }
                if (val && a[1] == 'I')
                        ctx.incdirs[ctx.n_incdirs++] = val;
                else if (val && a[1] == 'D')
                        ctx.defines[ctx.n_defines++] = val;
                else if (val && a[1] == 'o')
                        outdir = val;
                else if (val && (a[1] == 'h' || strcmp(a, "--header") == 0))
                        header = val;
                else if (val && strcmp(a, "--iid-file") == 0)
                        iid = val;
                else if (val && strcmp(a, "--depfile") == 0)
                        depfile = val;
                else if (val && strcmp(a, "--cpp") == 0)
                        ctx.cpp = val;
                else if (val && strcmp(a, "--client-file") == 0)
                        client = val;
                else if (val && strcmp(a, "--server-file") == 0)
                        server = val;
                else if (val && strcmp(a, "--stub-header") == 0)
                        stub_header = val;
                else if (val && strcmp(a, "--proxy-file") == 0)
                        proxy = val;
                else if (val && strcmp(a, "--dlldata") == 0)
                        dlldata = val;
                else if (val && strcmp(a, "--acf") == 0)
                        acf = val;
                else if (val && strcmp(a, "--tlb") == 0)
                        tlb = val;
                else if (strcmp(a, "--win32") == 0)
                        tlb_opts.win32 = true;
                else if (strcmp(a, "--win64") == 0)
                        tlb_opts.win32 = false;
                else if (strcmp(a, "--no-acf") == 0)
                        want_acf = false;
                else if (strcmp(a, "--client") == 0)
                        want_client = 1;
                else if (strcmp(a, "--no-client") == 0)
                        want_client = 0;
                else if (strcmp(a, "--server") == 0)
                        want_server = 1;
                else if (strcmp(a, "--no-server") == 0)
                        want_server = 0;
                else if (strcmp(a, "--proxy") == 0)
                        want_proxy = 1;
                else if (strcmp(a, "--no-proxy") == 0)
                        want_proxy = 0;
                else if (strcmp(a, "--no-stubs") == 0)
                        want_client = want_server = want_proxy = 0;
                else if (strcmp(a, "--status-stubs") == 0)
                        ctx.status_stubs = true;
                else if (strcmp(a, "--no-header") == 0)
                        want_header = false;
                else if (strcmp(a, "--no-iid") == 0)
                        want_iid = false;
                else if (strcmp(a, "--iid") == 0)
                        want_iid = true;
                else if (a[0] == '-' && a[1]) {
                        fprintf(stderr, "dcomidl: unknown option '%s' (see dcomidl --help)\n", a);
                        goto out;
                } else if (input) {
                        fprintf(stderr, "dcomidl: more than one input file ('%s' and '%s')\n",
                                input, a);
                        goto out;
                } else {
                        input = a;
                }
        }
        if (!input) {
                fprintf(stderr, "dcomidl: no input file (see dcomidl --help)\n");
                goto out;
        }
        if (access(input, R_OK) < 0) {
                fprintf(stderr, "dcomidl: cannot read %s: %s\n", input, strerror(errno));
                goto out;
        }

        idl_add_builtins(&ctx);
        r = idl_parse_file(&ctx, input, false);
        if (r < 0 || ctx.errors)
                goto out;
        /* the ACF: --acf, else FILE.acf beside FILE.idl if there is one (MIDL's rule) */
        char acf_path[4096];
        if (!acf && want_acf) {
                const char *d = strrchr(input, '.');
                int stem = d && !strchr(d, '/') ? (int)(d - input) : (int)strlen(input);
                snprintf(acf_path, sizeof acf_path, "%.*s.acf", stem, input);
                if (access(acf_path, R_OK) == 0)
                        acf = acf_path;
        }
        if (acf && want_acf && idl_apply_acf(&ctx, acf) < 0)
                goto out;
        if (idl_check(&ctx) < 0)
                goto out;
        /* by default, the stubs of what the file defines */
        bool has_rpc, has_object;
        idl_stub_kinds(&ctx, &has_rpc, &has_object);
        if (want_client < 0)
                want_client = has_rpc;
        if (want_server < 0)
                want_server = has_rpc;
        if (want_proxy < 0)
                want_proxy = has_object;
        if ((want_client || want_server || want_proxy) && idl_check_stubs(&ctx) < 0)
                goto out;

        /* base name: foo/bar.idl -> bar */
        const char *slash = strrchr(input, '/');
        const char *base = slash ? slash + 1 : input;
        const char *dot = strrchr(base, '.');
        size_t blen = dot ? (size_t)(dot - base) : strlen(base);
        char name_h[512], name_i[512], guard[600], name_c[512], name_s[512], name_sh[512];
        char name_p[512];
        snprintf(name_h, sizeof name_h, "%.*s.h", (int)blen, base);
        snprintf(name_i, sizeof name_i, "%.*s_i.c", (int)blen, base);
        snprintf(name_c, sizeof name_c, "%.*s_c.c", (int)blen, base);
        snprintf(name_s, sizeof name_s, "%.*s_s.c", (int)blen, base);
        snprintf(name_sh, sizeof name_sh, "%.*s_stub.h", (int)blen, base);
        snprintf(name_p, sizeof name_p, "%.*s_p.c", (int)blen, base);
        snprintf(guard, sizeof guard, "__%.*s_h__", (int)blen, base);
        for (char *p = guard; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9')))
                        *p = '_';

        enum { N_OUTS = 9 };
        struct output outs[N_OUTS] = { { 0 } };
        FILE *f;
        r = 0;
        if (want_header) {
                outs[0].path = path_join(outdir, header ? header : name_h);
                r = open_output(&outs[0], &f);
                if (r >= 0)
                        r = close_output(&outs[0], f, idl_write_header(&ctx, f, base, guard));
        }
        if (r >= 0 && want_iid) {
                outs[1].path = path_join(outdir, iid ? iid : name_i);
                r = open_output(&outs[1], &f);
                if (r >= 0)
                        r = close_output(&outs[1], f, idl_write_iid(&ctx, f, base));
        }
        const char *hname = header ? header : name_h, *shname = stub_header ? stub_header : name_sh;
        if (r >= 0 && (want_client || want_server || want_proxy)) {
                outs[3].path = path_join(outdir, shname);
                r = open_output(&outs[3], &f);
                if (r >= 0)
                        r = close_output(&outs[3], f, idl_write_stubs(&ctx, f, IDL_STUB_HEADER, base,
                                                                      hname, shname));
        }
        if (r >= 0 && want_client) {
                outs[4].path = path_join(outdir, client ? client : name_c);
                r = open_output(&outs[4], &f);
                if (r >= 0)
                        r = close_output(&outs[4], f, idl_write_stubs(&ctx, f, IDL_STUB_CLIENT, base,
                                                                      hname, shname));
        }
        if (r >= 0 && want_server) {
                outs[5].path = path_join(outdir, server ? server : name_s);
                r = open_output(&outs[5], &f);
                if (r >= 0)
                        r = close_output(&outs[5], f, idl_write_stubs(&ctx, f, IDL_STUB_SERVER, base,
                                                                      hname, shname));
        }
        if (r >= 0 && want_proxy) {
                outs[6].path = path_join(outdir, proxy ? proxy : name_p);
                r = open_output(&outs[6], &f);
                if (r >= 0)
                        r = close_output(&outs[6], f, idl_write_stubs(&ctx, f, IDL_STUB_PROXY, base,
                                                                      hname, shname));
        }
        if (r >= 0 && want_proxy && dlldata) {
                char pname[256];
                idl_proxy_file_name(base, pname, sizeof pname);
                outs[7].path = path_join(outdir, dlldata);
                r = open_output(&outs[7], &f);
                if (r >= 0)
                        r = close_output(&outs[7], f, write_dlldata(f, outs[7].path, pname));
        }
        if (r >= 0 && tlb) {
                outs[8].path = path_join(outdir, tlb);
                r = open_output(&outs[8], &f);
                if (r >= 0)
                        r = close_output(&outs[8], f, idl_write_typelib(&ctx, f, &tlb_opts));
        }
        if (r >= 0 && depfile) {
                outs[2].path = strdup(depfile);
                if (!outs[2].path)
                        abort();
                r = open_output(&outs[2], &f);
                if (r >= 0) {
                        write_dep_path(f, outs[0].path ? outs[0].path :
                                          outs[1].path ? outs[1].path :
                                          outs[3].path ? outs[3].path :
                                          outs[8].path ? outs[8].path : input);
                        fputs(":", f);
                        for (size_t i = 0; i < ctx.n_deps; i++) {
                                fputs(" \\\n  ", f);
                                write_dep_path(f, ctx.deps[i]);
                        }
                        fputc('\n', f);
                        r = close_output(&outs[2], f, 0);
                }
        }
        for (int i = 0; i < N_OUTS; i++) {
                if (!outs[i].tmp)
                        continue;
                if (r >= 0 && rename(outs[i].tmp, outs[i].path) < 0) {
                        r = -errno;
                        fprintf(stderr, "dcomidl: cannot create %s: %s\n", outs[i].path,
                                strerror(errno));
                }
                if (r < 0)
                        unlink(outs[i].tmp);
        }
        for (int i = 0; i < N_OUTS; i++) {
                free(outs[i].path);
                free(outs[i].tmp);
        }
        if (r >= 0)
                ret = 0;
out:
        free(ctx.incdirs);
        free(ctx.defines);
        idl_ctx_free(&ctx);
        return ret;
}
