/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's C back end for phase 1: FILE.h in MIDL's shape (include guard, forward
 * declarations, every type in declaration order, IFooVtbl + struct IFoo + COBJMACROS
 * call macros for object interfaces in C, MIDL_INTERFACE abstract classes in C++ with
 * DCOM_UUID_DECL for __uuidof, prototypes and ifspec handles for RPC interfaces) and
 * FILE_i.c with the IID/CLSID/LIBID/DIID definitions.  Only the main
 * file's declarations are written; imports become #include "import.h".
 *
 * Wire-size note: IDL `long` is 32 bits, so it prints as LONG/ULONG (int32_t), and
 * IDL wchar_t as WCHAR (uint16_t), never as the Linux C types of the same name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

struct out {
        struct idl_ctx *ctx;
        FILE *f;
        bool member;    /* printing a struct member: conformant arrays print as [1] (MIDL) */
};

static void print_expr(FILE *f, const struct idl_expr *e);
static void print_type_decl(struct out *o, FILE *f, struct idl_type *t, struct idl_type *stop,
                            const char *name, int indent, bool body);

static const char *basic_name(const struct idl_type *t) {
        bool u = t->sign == SIGN_UNSIGNED;
        switch (t->basic) {
        case BASIC_BOOLEAN: return "unsigned char";
        case BASIC_BYTE: return "BYTE";
        case BASIC_CHAR: return u ? "unsigned char" : t->sign == SIGN_SIGNED ? "signed char" : "char";
        case BASIC_SMALL: return u ? "unsigned char" : "signed char";
        case BASIC_SHORT: return u ? "unsigned short" : "short";
        case BASIC_INT: return u ? "unsigned int" : "int";
        case BASIC_LONG: return u ? "ULONG" : "LONG";
        case BASIC_HYPER:
        case BASIC_INT64: return u ? "uint64_t" : "int64_t";
        case BASIC_INT3264: return u ? "uintptr_t" : "intptr_t";
        case BASIC_FLOAT: return "float";
        case BASIC_DOUBLE: return "double";
        case BASIC_WCHAR: return "WCHAR";
        case BASIC_HANDLE: return "handle_t";
        case BASIC_ERROR_STATUS: return "error_status_t";
        }
        return "int";
}

static void indent_to(FILE *f, int indent) {
        for (int i = 0; i < indent; i++)
                fputs("        ", f);
}

static void print_unescaped(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                        s++;
                fputc(*s, f);
        }
}

static const char *binop(int op) {
        switch (op) {
        case 'L': return "<<";
        case 'R': return ">>";
        case 'E': return "==";
        case 'N': return "!=";
        case 'l': return "<=";
        case 'g': return ">=";
        case 'A': return "&&";
        case 'O': return "||";
        case 'P': return "->";
        case '.': return ".";
        case '+': return "+";
        case '-': return "-";
        case '*': return "*";
        case '/': return "/";
        case '%': return "%";
        case '&': return "&";
        case '|': return "|";
        case '^': return "^";
        case '<': return "<";
        case '>': return ">";
        }
        return "?";
}

static void print_expr(FILE *f, const struct idl_expr *e) {
        if (!e)
                return;
        switch (e->kind) {
        case EXPR_NUM:
        case EXPR_FLOAT:
        case EXPR_CHAR:
        case EXPR_IDENT:
        case EXPR_UUID:
                fputs(e->str, f);
                break;
        case EXPR_STRING:
                fprintf(f, "\"%s\"", e->str);
                break;
        case EXPR_WSTRING:
                fprintf(f, "u\"%s\"", e->str);
                break;
        case EXPR_TYPE:
        case EXPR_SIZEOF:
                if (e->kind == EXPR_SIZEOF)
                        fputs("sizeof(", f);
                print_type_decl(NULL, f, e->type, NULL, NULL, 0, false);
                if (e->kind == EXPR_SIZEOF)
                        fputc(')', f);
                break;
        case EXPR_UNARY:
                fputc(e->op, f);
                print_expr(f, e->a);
                break;
        case EXPR_BINARY:
                print_expr(f, e->a);
                if (e->op == '.' || e->op == 'P')
                        fputs(binop(e->op), f);
                else
                        fprintf(f, " %s ", binop(e->op));
                print_expr(f, e->b);
                break;
        case EXPR_TERNARY:
                print_expr(f, e->a);
                fputs(" ? ", f);
                print_expr(f, e->b);
                fputs(" : ", f);
                print_expr(f, e->c);
                break;
        case EXPR_PAREN:
                fputc('(', f);
                print_expr(f, e->a);
                fputc(')', f);
                break;
        case EXPR_CAST:
                fputc('(', f);
                print_type_decl(NULL, f, e->type, NULL, NULL, 0, false);
                fputc(')', f);
                print_expr(f, e->a);
                break;
        case EXPR_INDEX:
                print_expr(f, e->a);
                fputc('[', f);
                print_expr(f, e->b);
                fputc(']', f);
                break;
        case EXPR_EMPTY:
                break;
        }
}

static void print_fields(struct out *o, FILE *f, struct idl_field *fields, int indent) {
        for (struct idl_field *m = fields; m; m = m->next) {
                if (!m->type)
                        continue;       /* empty union arm */
                indent_to(f, indent);
                if (o)
                        o->member = true;
                /* an anonymous structure or union member (VARIANT's, DECIMAL's) is C11 but
                   an extension in C++: __extension__ keeps -pedantic quiet in both */
                if (!m->name && (m->type->kind == TYPE_STRUCT || m->type->kind == TYPE_UNION))
                        fputs("__extension__ ", f);
                print_type_decl(o, f, m->type, NULL, m->name, indent, true);
                if (m->bits) {
                        fputs(" : ", f);
                        print_expr(f, m->bits);
                }
                fputs(";\n", f);
        }
}

/* The specifier: "LONG", "struct tag", or a whole struct body when body is set. */
static void print_spec(struct out *o, FILE *f, struct idl_type *t, int indent, bool body) {
        switch (t->kind) {
        case TYPE_VOID:
                fputs(t->is_const ? "const void" : "void", f);
                break;
        case TYPE_BASIC:
                if (t->is_const)
                        fputs("const ", f);
                fputs(basic_name(t), f);
                break;
        case TYPE_NAMEREF:
                if (t->is_const)
                        fputs("const ", f);
                if (t->ref)
                        print_spec(o, f, t->ref, indent, false);
                else
                        fputs(t->name, f);
                break;
        case TYPE_ALIAS:
        case TYPE_INTERFACE:
        case TYPE_COCLASS:
                fputs(t->name, f);
                break;
        case TYPE_STRUCT:
        case TYPE_ENCAP_UNION:
        case TYPE_UNION:
        case TYPE_ENUM: {
                const char *kw = t->kind == TYPE_UNION ? "union" :
                                 t->kind == TYPE_ENUM ? "enum" : "struct";
                fputs(kw, f);
                if (t->name)
                        fprintf(f, " %s", t->name);
                /* (nesting past 64 levels only comes from hostile input: no body) */
                if (!body || !t->defined || (t->emitted && t->name) || indent > 64)
                        break;
                t->emitted = true;
                fputs(" {\n", f);
                if (t->kind == TYPE_ENUM) {
                        for (struct idl_field *c = t->fields; c; c = c->next) {
                                indent_to(f, indent + 1);
                                fputs(c->name, f);
                                if (c->ival_known) {
                                        fprintf(f, " = %lld", (long long)c->ival);
                                } else if (c->value) {
                                        fputs(" = ", f);
                                        print_expr(f, c->value);
                                }
                                fputs(c->next ? ",\n" : "\n", f);
                        }
                } else if (t->kind == TYPE_ENCAP_UNION) {
                        indent_to(f, indent + 1);
                        print_type_decl(o, f, t->switch_field->type, NULL, t->switch_field->name,
                                        indent + 1, true);
                        fputs(";\n", f);
                        indent_to(f, indent + 1);
                        fputs("union {\n", f);
                        print_fields(o, f, t->fields, indent + 2);
                        indent_to(f, indent + 1);
                        fprintf(f, "} %s;\n", t->union_name);
                } else {
                        print_fields(o, f, t->fields, indent + 1);
                }
                indent_to(f, indent);
                fputc('}', f);
                break;
        }
        default:
                fputs("void", f);
                break;
        }
}

static void print_params(struct out *o, FILE *f, struct idl_field *params, const char *this_type) {
        bool first = true;
        if (this_type) {
                fprintf(f, "%s *This", this_type);
                first = false;
        }
        for (struct idl_field *p = params; p; p = p->next) {
                if (!first)
                        fputs(", ", f);
                first = false;
                print_type_decl(o, f, p->type, NULL, p->name, 1, false);
        }
        if (first)
                fputs("void", f);
}

/*
 * Declarator text ([C99] 6.7.5, inside out): walks pointers, arrays and functions from
 * t down to the specifier (or to stop, a typedef's base type), wrapping name.  Returns
 * a malloc'd string and the specifier's type in *ret_base.
 */
static char *build_declarator(struct out *o, struct idl_type *t, struct idl_type *stop,
                              const char *name, struct idl_type **ret_base) {
        char *cur = strdup(name ? name : "");
        bool last_ptr = false;

        for (int n = 0; cur && t && t != stop && n < 256 &&
             (t->kind == TYPE_POINTER || t->kind == TYPE_ARRAY || t->kind == TYPE_FUNCTION);
             n++, t = t->ref) {
                char *nbuf = NULL;
                size_t nlen = 0;
                FILE *s = open_memstream(&nbuf, &nlen);
                if (!s)
                        break;
                if (t->kind == TYPE_POINTER) {
                        fprintf(s, "*%s%s", t->is_const ? "const " : "", cur);
                        last_ptr = true;
                } else {
                        fprintf(s, last_ptr ? "(%s)" : "%s", cur);
                        if (t->kind == TYPE_ARRAY) {
                                fputc('[', s);
                                if (t->size)
                                        print_expr(s, t->size);
                                else if (o && o->member)
                                        fputc('1', s);
                                fputc(']', s);
                        } else {
                                fputc('(', s);
                                print_params(o, s, t->fields, NULL);
                                fputc(')', s);
                        }
                        last_ptr = false;
                }
                fclose(s);
                free(cur);
                cur = nbuf;
        }
        *ret_base = t;
        return cur;
}

static void print_type_decl(struct out *o, FILE *f, struct idl_type *t, struct idl_type *stop,
                            const char *name, int indent, bool body) {
        struct idl_type *base = NULL;
        char *decl = build_declarator(o, t, stop, name, &base);
        if (o)
                o->member = false;
        if (base)
                print_spec(o, f, base, indent, body && base != stop);
        if (decl && *decl)
                fprintf(f, " %s", decl);
        free(decl);
}

/* --- statements --------------------------------------------------------------------- */

static void write_stmts(struct out *o, struct idl_stmt *s, struct idl_iface *in, int depth);

static const char *method_name(const struct idl_func *fn, char *buf, size_t size) {
        const char *prefix = idl_attr_find(fn->attrs, "propget") ? "get_" :
                             idl_attr_find(fn->attrs, "propputref") ? "putref_" :
                             idl_attr_find(fn->attrs, "propput") ? "put_" : "";
        snprintf(buf, size, "%s%s", prefix, fn->name ? fn->name : "");
        return buf;
}

const char *idl_method_name(const struct idl_func *fn) {
        static char buf[512];
        return method_name(fn, buf, sizeof buf);
}

static void vtbl_methods(struct out *o, struct idl_iface *i, const char *self, int depth) {
        if (!i || depth > 100)
                return;
        vtbl_methods(o, i->base, self, depth + 1);
        if (i->kind != IFACE_INTERFACE)
                return;
        fprintf(o->f, "\n        /*** %s methods ***/\n", i->name);
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                /* [call_as] methods are the wire form of a [local] one: no slot */
                if (s->kind != STMT_FUNC || idl_attr_find(s->func->attrs, "call_as"))
                        continue;
                char name[512];
                method_name(s->func, name, sizeof name);
                fputs("        ", o->f);
                print_type_decl(o, o->f, s->func->type->ref, NULL, NULL, 1, false);
                fprintf(o->f, " (STDMETHODCALLTYPE *%s)(", name);
                print_params(o, o->f, s->func->type->fields, self);
                fputs(");\n", o->f);
        }
}

static void call_macros(struct out *o, struct idl_iface *i, const char *self, int depth) {
        if (!i || depth > 100)
                return;
        call_macros(o, i->base, self, depth + 1);
        if (i->kind != IFACE_INTERFACE)
                return;
        fprintf(o->f, "/*** %s methods ***/\n", i->name);
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                if (s->kind != STMT_FUNC || idl_attr_find(s->func->attrs, "call_as"))
                        continue;
                char name[512];
                method_name(s->func, name, sizeof name);
                fprintf(o->f, "#define %s_%s(This", self, name);
                int k = 0;
                for (struct idl_field *p = s->func->type->fields; p; p = p->next, k++)
                        if (p->name)
                                fprintf(o->f, ",%s", p->name);
                        else
                                fprintf(o->f, ",p%d", k);
                fprintf(o->f, ") (This)->lpVtbl->%s(This", name);
                k = 0;
                for (struct idl_field *p = s->func->type->fields; p; p = p->next, k++)
                        if (p->name)
                                fprintf(o->f, ",%s", p->name);
                        else
                                fprintf(o->f, ",p%d", k);
                fputs(")\n", o->f);
        }
}

/* DCOM_UUID_DECL(Name, 0x..., ...): what __uuidof(Name) answers in C++ (<dcom/types.h>). */
static void uuid_decl(FILE *f, const char *name, const struct idl_guid *g) {
        fprintf(f, "DCOM_UUID_DECL(%s, 0x%08x, 0x%04x, 0x%04x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, "
                   "0x%02x, 0x%02x, 0x%02x, 0x%02x)\n", name, g->d1, g->d2, g->d3, g->d4[0],
                g->d4[1], g->d4[2], g->d4[3], g->d4[4], g->d4[5], g->d4[6], g->d4[7]);
}

/*
 * The C++ form MIDL writes: an abstract class per interface deriving from its base, one
 * pure virtual member per vtable slot of its own, in IDL order.  With single inheritance
 * and no virtual destructor, the C++ ABI (Itanium, as MSVC's) lays the vtable out as the
 * C form's IFooVtbl, `this` in the place of This: one object serves C and C++ callers.
 */
static void write_cxx_iface(struct out *o, struct idl_iface *i) {
        FILE *f = o->f;
        const struct idl_iface *base = i->base;

        if (i->has_uuid) {
                const struct idl_guid *g = &i->uuid;
                fprintf(f, "MIDL_INTERFACE(\"%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x\")\n",
                        g->d1, g->d2, g->d3, g->d4[0], g->d4[1], g->d4[2], g->d4[3], g->d4[4],
                        g->d4[5], g->d4[6], g->d4[7]);
        } else {
                fputs("struct ", f);
        }
        fputs(i->name, f);
        if (base)
                fprintf(f, " : public %s", base->name);
        fputs("\n{\npublic:\n", f);
        if (!base)
                fputs("        BEGIN_INTERFACE\n", f);
        for (struct idl_stmt *s = i->kind == IFACE_INTERFACE ? i->stmts : NULL; s; s = s->next) {
                if (s->kind != STMT_FUNC || idl_attr_find(s->func->attrs, "call_as"))
                        continue;
                char name[512];
                method_name(s->func, name, sizeof name);
                fputs("        virtual ", f);
                print_type_decl(o, f, s->func->type->ref, NULL, NULL, 1, false);
                fprintf(f, " STDMETHODCALLTYPE %s(", name);
                print_params(o, f, s->func->type->fields, NULL);
                fputs(") = 0;\n", f);
        }
        if (!base)
                fputs("        END_INTERFACE\n", f);
        fputs("};\n", f);
        if (i->has_uuid)
                uuid_decl(f, i->name, &i->uuid);
}

static void write_object_iface(struct out *o, struct idl_iface *i, const char *prefix) {
        FILE *f = o->f;
        fprintf(f, "extern const IID %s_%s;\n\n", prefix, i->name);
        fputs("#if defined(__cplusplus) && !defined(CINTERFACE)\n", f);
        write_cxx_iface(o, i);
        fputs("#else\n\n", f);
        fprintf(f, "typedef struct %sVtbl {\n        BEGIN_INTERFACE\n", i->name);
        if (i->kind == IFACE_DISPINTERFACE)
                vtbl_methods(o, i->base, i->name, 0);
        else
                vtbl_methods(o, i, i->name, 0);
        fprintf(f, "\n        END_INTERFACE\n} %sVtbl;\n\n", i->name);
        fprintf(f, "struct %s {\n        const %sVtbl *lpVtbl;\n};\n\n", i->name, i->name);
        fputs("#ifdef COBJMACROS\n", f);
        if (i->kind == IFACE_DISPINTERFACE)
                call_macros(o, i->base, i->name, 0);
        else
                call_macros(o, i, i->name, 0);
        fputs("#endif /* COBJMACROS */\n", f);
        fputs("\n#endif /* C++ or C */\n", f);
}

/*
 * An RPC interface's manager entry point vector (MIDL's /use_epv shape): one pointer per
 * remotable method, in opnum order; a server passes one to RpcServerRegisterIf.
 */
static void write_epv(struct out *o, struct idl_iface *i) {
        FILE *f = o->f;
        char name[600];
        unsigned n = 0;

        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC && s->func && !idl_attr_find(s->func->attrs, "local"))
                        n++;
        if (!n)
                return;
        fprintf(f, "\n/* the server's manager routines (RpcServerRegisterIf's MgrEpv) */\n");
        fprintf(f, "typedef struct %s_v%u_%u_epv {\n", i->name, i->ver_major, i->ver_minor);
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                if (s->kind != STMT_FUNC || !s->func || idl_attr_find(s->func->attrs, "local"))
                        continue;
                fputs("        ", f);
                snprintf(name, sizeof name, "(*%s)", s->func->name);
                print_type_decl(o, f, s->func->type, NULL, name, 1, false);
                fputs(";\n", f);
        }
        fprintf(f, "} %s_v%u_%u_epv_t;\n", i->name, i->ver_major, i->ver_minor);
        fprintf(f, "typedef %s_v%u_%u_epv_t %s_SERVER_EPV;\n", i->name, i->ver_major, i->ver_minor,
                i->name);
}

static void write_iface(struct out *o, struct idl_iface *i, int depth) {
        FILE *f = o->f;
        switch (i->kind) {
        case IFACE_INTERFACE:
        case IFACE_DISPINTERFACE:
                fprintf(f, "/*****************************************************************************\n"
                           " * %s %s\n */\n", i->name,
                        i->kind == IFACE_DISPINTERFACE ? "dispinterface" : "interface");
                fprintf(f, "#ifndef __%s_%s_DEFINED__\n#define __%s_%s_DEFINED__\n\n", i->name,
                        i->kind == IFACE_DISPINTERFACE ? "DISPINTERFACE" : "INTERFACE", i->name,
                        i->kind == IFACE_DISPINTERFACE ? "DISPINTERFACE" : "INTERFACE");
                if (i->kind == IFACE_DISPINTERFACE) {
                        if (i->base)
                                write_object_iface(o, i, "DIID");
                        else
                                fprintf(f, "extern const IID DIID_%s;\n", i->name);
                } else if (i->is_object) {
                        write_stmts(o, i->stmts, i, depth + 1);
                        write_object_iface(o, i, "IID");
                } else {
                        write_stmts(o, i->stmts, i, depth + 1);
                        if (!i->is_local) {
                                fprintf(f, "\nextern RPC_IF_HANDLE %s_v%u_%u_c_ifspec;\n"
                                           "extern RPC_IF_HANDLE %s_v%u_%u_s_ifspec;\n",
                                        i->name, i->ver_major, i->ver_minor,
                                        i->name, i->ver_major, i->ver_minor);
                                if (idl_implicit_handle(i))     /* the ACF's */
                                        fprintf(f, "extern handle_t %s;\n", idl_implicit_handle(i));
                                write_epv(o, i);
                        }
                }
                fprintf(f, "\n#endif /* __%s_%s_DEFINED__ */\n\n", i->name,
                        i->kind == IFACE_DISPINTERFACE ? "DISPINTERFACE" : "INTERFACE");
                break;
        case IFACE_COCLASS:
                fprintf(f, "/* coclass %s */\nextern const CLSID CLSID_%s;\n", i->name, i->name);
                fprintf(f, "#ifdef __cplusplus\nclass %s;\n", i->name);
                if (i->has_uuid)
                        uuid_decl(f, i->name, &i->uuid);
                fputs("#endif\n\n", f);
                break;
        case IFACE_LIBRARY:
                fprintf(f, "/* library %s */\nextern const IID LIBID_%s;\n\n", i->name, i->name);
                write_stmts(o, i->stmts, NULL, depth + 1);
                break;
        case IFACE_MODULE:
                fprintf(f, "/* module %s */\n", i->name);
                write_stmts(o, i->stmts, i, depth + 1);
                fputc('\n', f);
                break;
        }
}

static void write_stmts(struct out *o, struct idl_stmt *s, struct idl_iface *in, int depth) {
        FILE *f = o->f;
        for (; s && depth < 100; s = s->next) {
                if (s->imported)
                        continue;
                switch (s->kind) {
                case STMT_TYPEDEF:
                        fputs("typedef ", f);
                        print_spec(o, f, s->type, 0, true);
                        for (size_t i = 0; i < s->n_decls; i++) {
                                fputs(i ? ", " : " ", f);
                                struct idl_type *base = NULL;
                                char *decl = build_declarator(o, s->decls[i]->ref, s->type,
                                                              s->decls[i]->name, &base);
                                if (decl)
                                        fputs(decl, f);
                                free(decl);
                        }
                        fputs(";\n\n", f);
                        break;
                case STMT_TYPE:
                        print_spec(o, f, s->type, 0, true);
                        fputs(";\n\n", f);
                        break;
                case STMT_CONST:
                        fprintf(f, "#define %s (", s->name);
                        print_expr(f, s->expr);
                        fputs(")\n\n", f);
                        break;
                case STMT_EXTERN:
                        fputs("extern ", f);
                        print_type_decl(o, f, s->type, NULL, s->name, 0, false);
                        fputs(";\n", f);
                        break;
                case STMT_CPP_QUOTE:
                        print_unescaped(f, s->text);
                        fputc('\n', f);
                        break;
                case STMT_FUNC:
                        if (in && in->is_object)
                                break;
                        print_type_decl(o, f, s->func->type, NULL, s->func->name, 0, false);
                        fputs(";\n", f);
                        break;
                case STMT_INTERFACE:
                        write_iface(o, s->iface, depth);
                        break;
                default:
                        break;
                }
        }
}

static void forward_decls(struct out *o, struct idl_stmt *s, int depth) {
        for (; s && depth < 100; s = s->next) {
                if (s->imported)
                        continue;
                if (s->kind == STMT_INTERFACE || s->kind == STMT_IFACE_FWD) {
                        const char *name = s->name;
                        bool iface = s->kind == STMT_IFACE_FWD ? !s->text :
                                     s->iface->kind == IFACE_INTERFACE ||
                                     s->iface->kind == IFACE_DISPINTERFACE;
                        if (s->kind == STMT_INTERFACE &&
                            (s->iface->kind == IFACE_LIBRARY || s->iface->kind == IFACE_MODULE))
                                forward_decls(o, s->iface->stmts, depth + 1);
                        if (s->kind == STMT_INTERFACE && s->iface->kind == IFACE_INTERFACE &&
                            !s->iface->is_object)
                                iface = false;
                        if (s->kind == STMT_IFACE_FWD && s->text && strcmp(s->text, "dispinterface") == 0)
                                iface = true;
                        if (iface && name && !idl_sym_find(o->ctx, name, 6)) {
                                idl_sym_add(o->ctx, name, 6, NULL);
                                fprintf(o->f, "#ifndef __%s_FWD_DEFINED__\n#define __%s_FWD_DEFINED__\n"
                                              "typedef struct %s %s;\n#endif\n\n",
                                        name, name, name, name);
                        }
                }
        }
}

static void includes(struct out *o, struct idl_stmt *s, int depth) {
        for (; s && depth < 100; s = s->next) {
                if (s->imported)
                        continue;
                if (s->kind == STMT_IMPORT) {
                        const char *dot = strrchr(s->text, '.');
                        size_t n = dot ? (size_t)(dot - s->text) : strlen(s->text);
                        fprintf(o->f, "#include \"%.*s.h\"\n", (int)n, s->text);
                } else if (s->kind == STMT_INTERFACE) {
                        includes(o, s->iface->stmts, depth + 1);
                }
        }
}

/* Whether the file itself defines an RPC (non-object, remotable) interface. */
static bool defines_rpc_iface(struct idl_ctx *ctx) {
        for (struct idl_stmt *s = ctx->stmts; s; s = s->next)
                if (s->kind == STMT_INTERFACE && !s->imported && s->iface &&
                    s->iface->kind == IFACE_INTERFACE && !s->iface->is_object &&
                    !s->iface->is_local && s->iface->has_uuid)
                        return true;
        return false;
}

int idl_write_header(struct idl_ctx *ctx, FILE *f, const char *idl_name, const char *guard) {
        struct out o = { .ctx = ctx, .f = f };
        fprintf(f, "/* Generated by dcomidl from %s: do not edit. */\n\n", idl_name);
        fprintf(f, "#ifndef %s\n#define %s\n\n", guard, guard);
        fputs("#include <dcom/types.h>\n", f);
        /* MIDL's headers bring the RPC API with them: a program including only FILE.h
           calls RpcServerListen, RpcBindingFromStringBinding... */
        if (!ctx->status_stubs && defines_rpc_iface(ctx))
                fputs("#include <rpc.h>\n#include <rpcndr.h>\n", f);
        includes(&o, ctx->stmts, 0);
        fputs("\n#ifndef DCOM_IDL_RPC_TYPES_DEFINED\n#define DCOM_IDL_RPC_TYPES_DEFINED\n"
              "typedef void *RPC_IF_HANDLE;\ntypedef void *handle_t;\n"
              "typedef uint32_t error_status_t;\n#endif\n"
              "#ifndef STDMETHODCALLTYPE\n#define STDMETHODCALLTYPE\n#endif\n"
              "#ifndef BEGIN_INTERFACE\n#define BEGIN_INTERFACE\n#endif\n"
              "#ifndef END_INTERFACE\n#define END_INTERFACE\n#endif\n\n"
              "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
        forward_decls(&o, ctx->stmts, 0);
        write_stmts(&o, ctx->stmts, NULL, 0);
        fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", guard);
        return ferror(f) ? -EIO : 0;
}

static void write_guids(FILE *f, struct idl_stmt *s, int depth) {
        for (; s && depth < 100; s = s->next) {
                if (s->imported || s->kind != STMT_INTERFACE)
                        continue;
                struct idl_iface *i = s->iface;
                const char *prefix = NULL, *type = "IID";
                switch (i->kind) {
                case IFACE_INTERFACE:
                        prefix = i->is_object ? "IID" : NULL;
                        break;
                case IFACE_DISPINTERFACE:
                        prefix = "DIID";
                        break;
                case IFACE_COCLASS:
                        prefix = "CLSID";
                        type = "CLSID";
                        break;
                case IFACE_LIBRARY:
                        prefix = "LIBID";
                        break;
                case IFACE_MODULE:
                        break;
                }
                if (!prefix || !i->has_uuid)
                        continue;
                const struct idl_guid *g = &i->uuid;
                fprintf(f, "extern const %s %s_%s;\n", type, prefix, i->name);
                fprintf(f, "const %s %s_%s = {0x%08x, 0x%04x, 0x%04x, {0x%02x, 0x%02x, 0x%02x, "
                           "0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x}};\n\n", type, prefix, i->name,
                        g->d1, g->d2, g->d3, g->d4[0], g->d4[1], g->d4[2], g->d4[3], g->d4[4],
                        g->d4[5], g->d4[6], g->d4[7]);
                if (i->kind == IFACE_LIBRARY)
                        write_guids(f, i->stmts, depth + 1);
        }
}

int idl_write_iid(struct idl_ctx *ctx, FILE *f, const char *idl_name) {
        fprintf(f, "/* Generated by dcomidl from %s: do not edit. */\n\n", idl_name);
        fputs("#include <dcom/types.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
        write_guids(f, ctx->stmts, 0);
        fputs("#ifdef __cplusplus\n}\n#endif\n", f);
        return ferror(f) ? -EIO : 0;
}
