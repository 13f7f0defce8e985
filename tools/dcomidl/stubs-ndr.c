/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end, the NDR emitters: push and pull code for each level (pointers,
 * arrays, strings, data) and the push/pull functions of structures and unions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stubs-internal.h"

/* --- emitting push and pull code ------------------------------------------------------ */


static const char *ptr_fn(enum idl_ptr_kind k) {
        return k == PTR_REF ? "ref" : k == PTR_FULL ? "full" : "unique";
}

/* The element count of array level l: fixed size, size_is or max_is + 1. */
static char *count_expr(struct em *e, const struct level *l) {
        struct gen *g = e->g;
        if (l->fixed)
                return fmt(g, "(uint32_t)(%s)", expr_str(g, l->fixed, ""));
        if (l->size_is)
                return fmt(g, "(uint32_t)(%s)", num_str(g, l->size_is, e->prefix));
        if (l->max_is)
                return fmt(g, "((uint32_t)(%s) + 1)", num_str(g, l->max_is, e->prefix));
        return NULL;
}

/* The same in 64 bits, for what the stubs allocate and compare: no truncation. */
char *count_expr64(struct em *e, const struct level *l) {
        struct gen *g = e->g;
        if (l->fixed)
                return fmt(g, "(uint64_t)(%s)", expr_str(g, l->fixed, ""));
        if (l->size_is)
                return fmt(g, "(uint64_t)(%s)", num_str(g, l->size_is, e->prefix));
        if (l->max_is)
                return fmt(g, "((uint64_t)(%s) + 1)", num_str(g, l->max_is, e->prefix));
        return NULL;
}

static char *first_expr(struct em *e, const struct level *l) {
        return l->first_is ? fmt(e->g, "(uint32_t)(%s)", num_str(e->g, l->first_is, e->prefix))
                           : "0";
}

/* The number of elements transmitted of a varying array (given its count). */
static char *length_expr(struct em *e, const struct level *l, const char *count) {
        struct gen *g = e->g;
        if (l->length_is)
                return fmt(g, "(uint32_t)(%s)", num_str(g, l->length_is, e->prefix));
        if (l->last_is)
                return fmt(g, "((uint32_t)(%s) - %s + 1)", num_str(g, l->last_is, e->prefix),
                           first_expr(e, l));
        return fmt(g, "(%s - %s)", count, first_expr(e, l));
}

/* What of array level l travels: its first index and element count, as C expressions. */
void array_range(struct em *e, const struct level *l, char **ret_first, char **ret_len) {
        char *cnt = count_expr(e, l);
        *ret_first = l->varying ? first_expr(e, l) : "0";
        *ret_len = l->varying ? length_expr(e, l, cnt) : cnt;
}

/* Fast paths: arrays of bytes and of 16/32-bit integers whose C type has the wire size. */
static int fast_elem(const struct levels *L, int i) {
        const struct level *l = &L->l[i];
        if (i >= L->n || l->kind != L_DATA || l->dk != D_SCALAR || l->range)
                return 0;
        struct idl_type *t = idl_type_resolve(l->type);
        if (!t || t->kind != TYPE_BASIC)
                return 0;
        switch (t->basic) {
        case BASIC_BYTE:
        case BASIC_CHAR:
        case BASIC_SMALL:
                return 1;
        case BASIC_SHORT:
        case BASIC_WCHAR:
                return 2;
        case BASIC_LONG:
        case BASIC_INT:
        case BASIC_ERROR_STATUS:
                return 4;
        default:
                return 0;
        }
}

static char *deref(struct gen *g, const char *v) {
        return fmt(g, "(*%s)", v);
}

/* The referent of pointer level i: arrays and strings use the pointer itself as base. */
bool next_is_array(const struct levels *L, int i) {
        return i + 1 < L->n && (L->l[i + 1].kind == L_ARRAY || L->l[i + 1].kind == L_STRING);
}

/* A referent whose size is only known from the wire (conformant structure, array). */
static bool referent_var_size(const struct levels *L, int i) {
        if (next_is_array(L, i))
                return true;
        const struct level *n = &L->l[i + 1];
        /* a union's referent depends on its switch_is: aliasing could change its arm */
        return n->kind == L_DATA &&
               ((n->dk == D_STRUCT && n->sr && n->sr->conformant) || n->dk == D_UNION);
}

static char *tag_name(struct gen *g, const struct levels *L, int i) {
        const struct level *n = &L->l[i + 1];
        struct scalar s;
        if (n->kind == L_PTR)
                return "ndr_tag_ptr_";
        switch (n->dk) {
        case D_STRUCT:
        case D_UNION:
                return fmt(g, "ndr_tag_%s_", n->sr->fname);
        case D_SCALAR:
                scalar_info(n->type, &s);
                return fmt(g, "ndr_tag_%s_", s.wtype);
        case D_GUID:
                return "ndr_tag_GUID_";
        case D_FILETIME:
                return "ndr_tag_FILETIME_";
        default:
                return "ndr_tag_other_";
        }
}

static void emit_conf_alloc(struct em *e, struct sreg *sr, const char *v, int ind);

static void emit_push_data(struct em *e, const struct level *l, const char *v, bool prim,
                           bool def, int ind) {
        struct gen *g = e->g;
        struct scalar s;
        const char *flags = prim && def ? "NDR_SCALARS | NDR_BUFFERS"
                                        : prim ? "NDR_SCALARS" : "NDR_BUFFERS";

        switch (l->dk) {
        case D_SCALAR:
                if (prim) {
                        scalar_info(l->type, &s);
                        out(g, ind, "%s(%s, (%s)(%s));\n", s.push, e->ndr, s.wtype, v);
                }
                break;
        case D_STRUCT:
                if (prim || l->sr->deferred)
                        out(g, ind, "ndr_push__%s(%s, %s, &%s);\n", l->sr->fname, e->ndr, flags, v);
                break;
        case D_UNION:
                if (prim || l->sr->deferred)
                        out(g, ind, "ndr_push__%s(%s, %s, (int64_t)(%s), &%s);\n", l->sr->fname,
                            e->ndr, flags, expr_str(g, l->sw, e->prefix), v);
                break;
        case D_GUID:
                if (prim)
                        out(g, ind, "ndr_push_guid(%s, &%s);\n", e->ndr, v);
                break;
        case D_FILETIME:
                if (prim) {
                        out(g, ind, "ndr_push_align(%s, 4);\n", e->ndr);
                        out(g, ind, "ndr_push_uint32(%s, %s.dwLowDateTime);\n", e->ndr, v);
                        out(g, ind, "ndr_push_uint32(%s, %s.dwHighDateTime);\n", e->ndr, v);
                }
                break;
        case D_IFACE:
                if (prim)
                        out(g, ind, "ndr_push_unique_ptr(%s, %s);\n", e->ndr, v);
                if (def) {
                        const char *iid = l->iid_is ? fmt(g, "(const GUID *)(%s)",
                                                          expr_str(g, l->iid_is, e->prefix))
                                                    : fmt(g, "&ndr_iid_%s_", l->iface->name);
                        out(g, ind, "if (%s)\n", v);
                        out(g, ind + 1, "ndr_push_iface(%s, %s, (void *)%s);\n", e->ndr, iid, v);
                }
                break;
        case D_USER:
                out(g, ind, "ndr_push_user_marshal(%s, ndr_user_marshal_find(\"%s\"), %s, &%s);\n",
                    e->ndr, l->uname, flags, v);
                break;
        case D_IGNORE:
                if (prim)
                        out(g, ind, "ndr_push_uint32(%s, 0);   /* [ignore] */\n", e->ndr);
                break;
        case D_CTX:
        case D_HANDLE:
                break;
        }
}

void emit_push(struct em *e, int i, const char *v, bool prim, bool def, int ind) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR: {
                const char *r = next_is_array(L, i) ? v : deref(g, v);
                if (l->top && e->keep_going) {
                        out(g, ind, "if (!%s) {\n", v);
                        out(g, ind + 1, "ndr_push_fail(%s, -EINVAL);      /* NULL [ref] */\n", e->ndr);
                        out(g, ind, "} else {\n");
                        emit_push(e, i + 1, r, true, true, ind + 1);
                        out(g, ind, "}\n");
                        break;
                }
                if (l->top) {
                        out(g, ind, "if (!%s)\n", v);
                        out(g, ind + 1, "return ndr_push_fail(%s, -EINVAL);       /* NULL [ref] */\n",
                            e->ndr);
                        emit_push(e, i + 1, r, true, true, ind);
                        break;
                }
                if (prim)
                        out(g, ind, "ndr_push_%s_ptr(%s, %s);\n", ptr_fn(l->ptr), e->ndr, v);
                if (def) {
                        /* Every pointee nests one level: a cycle through [unique] pointers
                         * (or a very long chain) ends at ndr->max_depth with -ELOOP instead
                         * of the stack. */
                        if (l->ptr == PTR_FULL)
                                out(g, ind, "if (%s && ndr_push_full_ptr_pending(%s, %s) > 0 &&\n",
                                    v, e->ndr, v);
                        else
                                out(g, ind, "if (%s &&\n", v);
                        out(g, ind + 1, "ndr_push_enter(%s) >= 0) {\n", e->ndr);
                        emit_push(e, i + 1, r, true, true, ind + 1);
                        out(g, ind + 1, "ndr_push_leave(%s);\n", e->ndr);
                        out(g, ind, "}\n");
                }
                break;
        }
        case L_STRING: {
                const char *cast = l->wide ? "(const uint16_t *)" : "(const char *)";
                const char *w = l->wide ? "w" : "";
                if (!prim)
                        break;
                if (l->fixed) {
                        out(g, ind, "ndr_push_%sstring_fixed(%s, %s%s, %s);\n", w, e->ndr, cast, v,
                            count_expr(e, l));
                } else if (level_has_size(l)) {
                        if (!l->hoisted)
                                out(g, ind, "ndr_push_conformance(%s, %s);\n", e->ndr,
                                    count_expr(e, l));
                        out(g, ind, "ndr_push_%sstring_fixed(%s, %s%s, %s);\n", w, e->ndr, cast, v,
                            count_expr(e, l));
                } else {
                        out(g, ind, "ndr_push_%sstring(%s, %s%s);\n", w, e->ndr, cast, v);
                }
                break;
        }
        case L_ARRAY: {
                int k = e->loops;
                char *idx = fmt(g, "i%d_", k);
                char *cnt = count_expr(e, l);
                char *first, *len;
                array_range(e, l, &first, &len);
                char *elem = fmt(g, "%s[%s + %s]", v, first, idx);
                bool sub_def = level_deferred(L, i + 1);
                int fast = fast_elem(L, i + 1);

                if (!l->varying)
                        elem = fmt(g, "%s[%s]", v, idx);
                out(g, ind, "{\n");
                ind++;
                out(g, ind, "uint32_t n%d_ = %s;\n", k, len);
                /* a server's response goes on past a bad length (what the object returned
                   later is given up all the same), without reading past the array */
                bool guard = e->keep_going && l->varying;
                if (guard) {
                        out(g, ind, "if ((uint64_t)%s + n%d_ > %s) {\n", first, k, cnt);
                        out(g, ind + 1, "ndr_push_fail(%s, -EINVAL);      /* length past the size */\n",
                            e->ndr);
                        out(g, ind, "} else {\n");
                        ind++;
                }
                if (prim) {
                        if (l->varying && !guard)
                                out(g, ind,
                                    "if ((uint64_t)%s + n%d_ > %s)\n", first, k, cnt);
                        if (l->varying && !guard)
                                out(g, ind + 1,
                                    "return ndr_push_fail(%s, -EINVAL);      /* length past the "
                                    "size */\n",
                                    e->ndr);
                        if (l->conformant && !l->hoisted)
                                out(g, ind, "ndr_push_conformance(%s, %s);\n", e->ndr, cnt);
                        if (l->varying)
                                out(g, ind, "ndr_push_variance(%s, %s, n%d_);\n", e->ndr, first, k);
                        if (fast == 1) {
                                out(g, ind, "ndr_push_bytes(%s, &%s[%s], n%d_);\n", e->ndr, v,
                                    first, k);
                        } else if (fast) {
                                out(g, ind, "ndr_push_uint%d_array(%s, (const uint%d_t *)&%s[%s], n%d_);\n",
                                    fast * 8, e->ndr, fast * 8, v, first, k);
                        } else {
                                out(g, ind, "for (uint32_t %s = 0; %s < n%d_; %s++) {\n", idx, idx,
                                    k, idx);
                                e->loops++;
                                emit_push(e, i + 1, elem, true, false, ind + 1);
                                e->loops--;
                                out(g, ind, "}\n");
                        }
                }
                if (def && sub_def) {
                        out(g, ind, "for (uint32_t %s = 0; %s < n%d_; %s++) {\n", idx, idx, k, idx);
                        e->loops++;
                        emit_push(e, i + 1, elem, false, true, ind + 1);
                        e->loops--;
                        out(g, ind, "}\n");
                }
                if (guard) {
                        ind--;
                        out(g, ind, "}\n");
                }
                ind--;
                out(g, ind, "}\n");
                break;
        }
        case L_DATA:
                emit_push_data(e, l, v, prim, def, ind);
                break;
        }
}

/* A correlation check: now, or (parameters) after every [in] parameter is pulled. */
static void emit_check(struct em *e, int ind, bool later, const char *fmt_, ...)
        __attribute__((format(printf, 4, 5)));
static void emit_check(struct em *e, int ind, bool later, const char *fmt_, ...) {
        va_list ap;
        FILE *f = later && e->checks ? e->checks : e->g->f;

        fprintf(f, "%*sNDR_CHECK(", later && e->checks ? 8 : ind * 8, "");
        va_start(ap, fmt_);
        vfprintf(f, fmt_, ap);
        va_end(ap);
        fputs(");\n", f);
}

static void emit_pull_data(struct em *e, const struct level *l, const char *v, bool prim,
                           bool def, int ind) {
        struct gen *g = e->g;
        struct scalar s;
        const char *flags = prim && def ? "NDR_SCALARS | NDR_BUFFERS"
                                        : prim ? "NDR_SCALARS" : "NDR_BUFFERS";

        switch (l->dk) {
        case D_SCALAR:
                if (!prim)
                        break;
                scalar_info(l->type, &s);
                out(g, ind, "{\n");
                out(g, ind + 1, "%s v_;\n", s.wtype);
                out(g, ind + 1, "NDR_CHECK(%s(%s, &v_));\n", s.pull, e->ndr);
                if (l->range) {
                        struct idl_type *t = idl_type_resolve(l->type);
                        bool sgn = t->kind == TYPE_BASIC && t->sign != SIGN_UNSIGNED &&
                                   t->basic != BASIC_BYTE && t->basic != BASIC_BOOLEAN &&
                                   t->basic != BASIC_WCHAR && t->basic != BASIC_ERROR_STATUS;
                        if (sgn)
                                out(g, ind + 1, "NDR_CHECK(ndr_check_range_signed(v_, %lldLL, %lldLL));\n",
                                    (long long)l->lo, (long long)l->hi);
                        else
                                out(g, ind + 1, "NDR_CHECK(ndr_check_range(v_, %lluULL, %lluULL));\n",
                                    (unsigned long long)l->lo, (unsigned long long)l->hi);
                }
                out(g, ind + 1, "%s = v_;\n", v);
                out(g, ind, "}\n");
                break;
        case D_STRUCT:
                if (prim || l->sr->deferred)
                        out(g, ind, "NDR_CHECK(ndr_pull__%s(%s, %s, &%s));\n", l->sr->fname,
                            e->ndr, flags, v);
                break;
        case D_UNION:
                if (prim || l->sr->deferred)
                        out(g, ind, "NDR_CHECK(ndr_pull__%s(%s, %s, (int64_t)(%s), &%s));\n",
                            l->sr->fname, e->ndr, flags, expr_str(g, l->sw, e->prefix), v);
                break;
        case D_GUID:
                if (prim)
                        out(g, ind, "NDR_CHECK(ndr_pull_guid(%s, &%s));\n", e->ndr, v);
                break;
        case D_FILETIME:
                if (prim) {
                        out(g, ind, "NDR_CHECK(ndr_pull_align(%s, 4));\n", e->ndr);
                        out(g, ind, "NDR_CHECK(ndr_pull_uint32(%s, &%s.dwLowDateTime));\n", e->ndr, v);
                        out(g, ind, "NDR_CHECK(ndr_pull_uint32(%s, &%s.dwHighDateTime));\n", e->ndr,
                            v);
                }
                break;
        case D_IFACE:
                if (prim) {
                        out(g, ind, "NDR_CHECK(ndr_pull_unique_ptr(%s, &id_));\n", e->ndr);
                        out(g, ind, "%s = id_ ? NDR_PTR_PENDING : NULL;\n", v);
                }
                if (def) {
                        const char *iid = l->iid_is ? fmt(g, "(const GUID *)(%s)",
                                                          expr_str(g, l->iid_is, e->prefix))
                                                    : fmt(g, "&ndr_iid_%s_", l->iface->name);
                        /* only an [in] parameter's own pointer is the server's to give
                           up after the call; [in, out] ones and members of structures
                           (which may travel both ways) are the implementation's, or a
                           client's caller's (released if the response fails later) */
                        bool kept = !(e->L->f && e->L->f->dir == DIR_IN);
                        out(g, ind, "if (%s)\n", v);
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_iface%s(%s, %s, (void **)&%s));\n",
                            kept ? "_out" : "", e->ndr, iid, v);
                }
                break;
        case D_USER:
                if (e->side == SIDE_SERVER && e->pname && strcmp(v, e->pname) == 0) {
                        /* a server's [in] value is a local of the stub's, which returns
                           before the call's arena is reset: the object is pulled (and
                           freed) in the arena, the local a copy for the implementation */
                        out(g, ind, "{\n");
                        out(g, ind + 1, "void *u_ = ndr_pull_alloc(%s, 1, sizeof %s);\n", e->ndr, v);
                        out(g, ind + 1, "if (!u_)\n");
                        out(g, ind + 2, "return %s->error;\n", e->ndr);
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_user_marshal(%s, ndr_user_marshal_find(\"%s\"), %s, u_));\n",
                            e->ndr, l->uname, flags);
                        out(g, ind + 1, "memcpy(&%s, u_, sizeof %s);\n", v, v);
                        out(g, ind, "}\n");
                        break;
                }
                out(g, ind, "NDR_CHECK(ndr_pull_user_marshal(%s, ndr_user_marshal_find(\"%s\"), %s, &%s));\n",
                    e->ndr, l->uname, flags, v);
                break;
        case D_IGNORE:
                if (prim) {     /* [ignore]: whatever the peer sent, the member is NULL */
                        out(g, ind, "{\n");
                        out(g, ind + 1, "uint32_t v_;\n");
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_uint32(%s, &v_));\n", e->ndr);
                        out(g, ind + 1, "%s = NULL;\n", v);
                        out(g, ind, "}\n");
                }
                break;
        case D_CTX:
        case D_HANDLE:
                break;
        }
}

/* Whether a parameter-level count is checked after all parameters (not inside loops). */
bool later(const struct em *e) {
        return e->pname && e->loops == 0 && e->behind == 0;
}

/* Count variables: function scope for a parameter's outer arrays (checked later). */
static char *cvar(struct em *e, const char *what, int i) {
        if (later(e))
                return fmt(e->g, "%s_%s_%d", what, e->pname, i);
        return fmt(e->g, "%s%d_", what, e->loops);
}

/*
 * A conformant structure behind a pointer: its size is only known from the conformance
 * at its start, which the runtime peeks at before allocating.
 */
static void emit_conf_alloc(struct em *e, struct sreg *sr, const char *v, int ind) {
        struct gen *g = e->g;
        const struct levels *M = &sr->members[sr->n_members - 1];
        const char *m = M->f->name;
        /* a varying tail carries only actual_count elements: only the cap bounds max_count */
        unsigned wire = M->l[0].varying ? 0 : elem_wire_size(g, M, 1);

        out(g, ind, "NDR_CHECK(ndr_pull_conformant_alloc(%s, sizeof *%s, sizeof (*%s).%s[0], %u, (void **)&%s));\n",
            e->ndr, v, v, m, wire, v);
}

/* The element count a conformant structure *v holds (its conformance), in 64 bits. */
char *conf_struct_count(struct gen *g, const struct sreg *sr, const char *v) {
        struct em e = {.g = g, .prefix = fmt(g, "(*%s).", v)};
        return count_expr64(&e, &sr->members[sr->n_members - 1].l[0]);
}

static void emit_pull_array(struct em *e, int i, const char *v, bool prim, bool def, int ind,
                            enum mode m) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];
        int k = e->loops;
        char *idx = fmt(g, "i%d_", k);
        bool sub_def = level_deferred(L, i + 1);
        bool lat = later(e);
        char *c = cvar(e, "c", i), *o = cvar(e, "o", i), *a = cvar(e, "a", i);
        int fast = fast_elem(L, i + 1);
        unsigned wire = elem_wire_size(g, L, i + 1), align = level_align(g, L, i + 1);

        out(g, ind, "{\n");
        ind++;
        if (!lat)
                out(g, ind, "uint32_t %s, %s = 0, %s;\n", c, o, a);
        if (!prim) {
                /* buffers pass of an inline array: the counts were checked by the scalars pass */
                char *cnt = count_expr(e, l);
                out(g, ind, "%s = %s;\n", c, cnt);
                if (l->varying) {
                        out(g, ind, "%s = %s;\n", o, first_expr(e, l));
                        out(g, ind, "%s = %s;\n", a, length_expr(e, l, cnt));
                } else {
                        out(g, ind, "%s = %s;\n", a, c);
                }
        } else {
                if (l->conformant)
                        out(g, ind, "%s;\n",
                            l->hoisted ? fmt(g, "%s = conf_", c)
                                       : fmt(g, "NDR_CHECK(ndr_pull_conformance(%s, &%s))", e->ndr,
                                             c));
                else
                        out(g, ind, "%s = %s;\n", c, count_expr(e, l));
                if (l->varying && l->kind == L_ARRAY)
                        out(g, ind, "NDR_CHECK(ndr_pull_variance(%s, %s, &%s, &%s));\n", e->ndr, c, o,
                            a);
                else
                        out(g, ind, "%s = %s;\n", a, c);
                /*
                 * correlation; a response's conformance need only fit the caller's buffer
                 * (impacket sends max_count = actual_count where size_is says more)
                 */
                if (m == M_INPLACE && l->conformant && !e->strict)
                        ;
                else if (l->conformant && l->size_is)
                        emit_check(e, ind, lat, "ndr_check_size_is(%s, %s)", c,
                                   expr_str(g, l->size_is, e->prefix));
                else if (l->conformant && l->max_is)
                        emit_check(e, ind, lat, "ndr_check_max_is(%s, %s)", c,
                                   expr_str(g, l->max_is, e->prefix));
                if (l->kind == L_ARRAY && l->varying) {
                        char *first = l->first_is ? fmt(g, "(uint64_t)%s", num_str(g, l->first_is, e->prefix)) : "0";
                        if (l->length_is)
                                emit_check(e, ind, lat, "ndr_check_length_is(%s, %s, %s, (uint64_t)%s)", o, a,
                                           first, num_str(g, l->length_is, e->prefix));
                        else if (l->last_is)
                                emit_check(e, ind, lat, "ndr_check_last_is(%s, %s, %s, (uint64_t)%s)", o, a,
                                           first, num_str(g, l->last_is, e->prefix));
                        else
                                emit_check(e, ind, lat,
                                           "ndr_check_length_is(%s, %s, %s, (uint64_t)%s - (%s))",
                                           o, a, first, c, first);
                }
                /*
                 * A server's [in]-only conformant array of scalars points into the request
                 * when the runtime allows it and the bytes are what the host reads
                 * (ndr_pull_alias); otherwise it is copied as below.
                 */
                bool alias = e->alias && m == M_ALLOC && l->kind == L_ARRAY && !l->varying &&
                             fast && lat && !(def && sub_def);
                /* memory */
                if (m == M_ALLOC) {
                        if (l->kind == L_STRING)
                                out(g, ind,
                                    "if (!(%s = ndr_pull_alloc(%s, %s ? %s : 1, sizeof *%s)))\n",
                                    v, e->ndr, c, c, v);
                        else {
                                out(g, ind, "NDR_CHECK(ndr_pull_check_count(%s, %s, %u, %u));\n",
                                    e->ndr, a, wire, align);
                                if (alias) {
                                        out(g, ind, "if (!(%s = ndr_pull_alias(%s, %s, sizeof *%s))) {\n",
                                            v, e->ndr, a, v);
                                        ind++;
                                }
                                out(g, ind,
                                    "if (!(%s = ndr_pull_alloc(%s, %s ? %s : 1, sizeof *%s)))\n",
                                    v, e->ndr, c, c, v);
                        }
                        out(g, ind + 1, "return %s->error;\n", e->ndr);
                } else if (m == M_INPLACE) {
                        out(g, ind, "if (%s > cap_%s)\n", c, e->pname);
                        out(g, ind + 1, "return -EBADMSG;        /* more than the caller's buffer */\n");
                }
                /* elements */
                if (l->kind == L_STRING) {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring_fixed(%s, (%s *)%s, %s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v, c);
                } else if (fast == 1) {
                        out(g, ind, "NDR_CHECK(ndr_pull_bytes(%s, &%s[%s], %s));\n", e->ndr, v, o, a);
                } else if (fast) {
                        out(g, ind, "NDR_CHECK(ndr_pull_uint%d_array(%s, (uint%d_t *)&%s[%s], %s));\n",
                            fast * 8, e->ndr, fast * 8, v, o, a);
                } else {
                        out(g, ind, "for (uint32_t %s = 0; %s < %s; %s++) {\n", idx, idx, a, idx);
                        e->loops++;
                        emit_pull(e, i + 1, fmt(g, "%s[%s + %s]", v, o, idx), true, false, ind + 1,
                                  M_INLINE);
                        e->loops--;
                        out(g, ind, "}\n");
                }
                if (alias) {
                        ind--;
                        out(g, ind, "}\n");
                }
        }
        if (def && sub_def) {
                out(g, ind, "for (uint32_t %s = 0; %s < %s; %s++) {\n", idx, idx, a, idx);
                e->loops++;
                emit_pull(e, i + 1, fmt(g, "%s[%s + %s]", v, o, idx), false, true, ind + 1,
                          M_INLINE);
                e->loops--;
                out(g, ind, "}\n");
        }
        if (!lat)
                out(g, ind, "(void)%s;\n%*s(void)%s;\n%*s(void)%s;\n", o, ind * 8, "", c,
                    ind * 8, "", a);
        ind--;
        out(g, ind, "}\n");
}

void emit_pull(struct em *e, int i, const char *v, bool prim, bool def, int ind,
               enum mode m) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR: {
                bool arr = next_is_array(L, i);
                const char *r = arr ? v : deref(g, v);
                if (l->top) {
                        const struct level *n = &L->l[i + 1];
                        if (m == M_INPLACE && !arr && n->kind == L_DATA && n->dk == D_STRUCT &&
                            n->sr->conformant) {
                                /* the caller's [in, out] conformant structure: pulled aside
                                   (t_NAME_, the call's memory; what it points to is the
                                   caller's), refused when larger than what was sent, and
                                   copied in once every [out] has come (client_pull_fn):
                                   a failed pull leaves the caller's structure as it was */
                                const struct levels *M = &n->sr->members[n->sr->n_members - 1];
                                const char *t = fmt(g, "t_%s_", e->pname);
                                out(g, ind, "{\n");
                                out(g, ind + 1, "bool um_ = %s->user_mode;\n\n", e->ndr);
                                out(g, ind + 1, "%s->user_mode = false;\n", e->ndr);
                                out(g, ind + 1, "int rc_ = ndr_pull_conformant_alloc(%s, sizeof *%s, sizeof (*%s).%s[0], %u, (void **)&%s);\n",
                                    e->ndr, t, t, M->f->name, elem_wire_size(g, M, 1), t);
                                out(g, ind + 1, "%s->user_mode = um_;\n", e->ndr);
                                out(g, ind + 1, "NDR_CHECK(rc_);\n");
                                out(g, ind, "}\n");
                                emit_pull(e, i + 1, deref(g, t), true, true, ind, M_INLINE);
                                out(g, ind, "if (%s > %s)\n", conf_struct_count(g, n->sr, t),
                                    conf_struct_count(g, n->sr, v));
                                out(g, ind + 1, "return -EBADMSG;        /* larger than sent */\n");
                                break;
                        }
                        if (m == M_INPLACE) {
                                emit_pull(e, i + 1, r, true, true, ind, arr ? M_INPLACE : M_INLINE);
                                break;
                        }
                        if (!arr) {
                                if (n->kind == L_DATA && n->dk == D_STRUCT && n->sr->conformant)
                                        emit_conf_alloc(e, n->sr, v, ind);
                                else {
                                        out(g, ind, "if (!(%s = ndr_pull_alloc(%s, 1, sizeof *%s)))\n",
                                            v, e->ndr, v);
                                        out(g, ind + 1, "return %s->error;\n", e->ndr);
                                }
                        }
                        emit_pull(e, i + 1, r, true, true, ind, arr ? M_ALLOC : M_INLINE);
                        break;
                }
                if (prim) {
                        if (m == M_INPLACE && l->ptr == PTR_UNIQUE) {
                                /* the caller's [in, out] unique pointer: filled in place */
                                out(g, ind, "NDR_CHECK(ndr_pull_unique_ptr(%s, &id_));\n", e->ndr);
                                out(g, ind, "if (id_ && !%s)\n", v);
                                out(g, ind + 1, "return -EBADMSG;        /* NULL cannot become non-NULL */\n");
                                out(g, ind, "if (id_ && %s) {\n", v);
                                e->behind++;
                                emit_pull(e, i + 1, r, true, true, ind + 1,
                                          arr ? M_INPLACE : M_INLINE);
                                e->behind--;
                                out(g, ind, "}\n");
                                break;
                        }
                        if (l->ptr == PTR_FULL && !referent_var_size(L, i)) {
                                out(g, ind, "NDR_CHECK(ndr_pull_full_ptr(%s, &%s, sizeof *%s, (void **)&%s));\n",
                                    e->ndr, tag_name(g, L, i), v, v);
                        } else {
                                out(g, ind, "NDR_CHECK(ndr_pull_%s_ptr(%s, &id_));\n",
                                    l->ptr == PTR_REF ? "ref" : l->ptr == PTR_FULL ? "full_var" : "unique",
                                    e->ndr);
                                out(g, ind, "%s = id_ ? NDR_PTR_PENDING : NULL;\n", v);
                        }
                }
                if (def) {
                        if (l->ptr == PTR_FULL && !referent_var_size(L, i)) {
                                out(g, ind, "if (%s && ndr_pull_full_ptr_pending(%s, %s) > 0) {\n", v,
                                    e->ndr, v);
                                /* a chain of distinct [ptr] referents nests as deep as a
                                 * [unique] one: the same cap */
                                out(g, ind + 1, "NDR_CHECK(ndr_pull_enter(%s));\n", e->ndr);
                                e->behind++;
                                emit_pull(e, i + 1, r, true, true, ind + 1, M_INLINE);
                                e->behind--;
                                out(g, ind + 1, "ndr_pull_leave(%s);\n", e->ndr);
                                out(g, ind, "}\n");
                                break;
                        }
                        out(g, ind, "if (%s) {\n", v);
                        if (!arr) {
                                const struct level *n = &L->l[i + 1];
                                if (n->kind == L_DATA && n->dk == D_STRUCT && n->sr->conformant)
                                        emit_conf_alloc(e, n->sr, v, ind + 1);
                                else {
                                        out(g, ind + 1, "if (!(%s = ndr_pull_alloc(%s, 1, sizeof *%s)))\n",
                                            v, e->ndr, v);
                                        out(g, ind + 2, "return %s->error;\n", e->ndr);
                                }
                        }
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_enter(%s));\n", e->ndr);
                        e->behind++;
                        emit_pull(e, i + 1, r, true, true, ind + 1, arr ? M_ALLOC : M_INLINE);
                        e->behind--;
                        out(g, ind + 1, "ndr_pull_leave(%s);\n", e->ndr);
                        out(g, ind, "}\n");
                }
                break;
        }
        case L_STRING:
                if (!prim)
                        break;
                if (l->fixed) {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring_fixed(%s, (%s *)%s, %s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v,
                            count_expr(e, l));
                } else if (level_has_size(l) || m == M_INPLACE) {
                        emit_pull_array(e, i, v, prim, def, ind, m);
                } else {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring(%s, (%s **)&%s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v);
                }
                break;
        case L_ARRAY:
                emit_pull_array(e, i, v, prim, def, ind, m);
                break;
        case L_DATA:
                emit_pull_data(e, l, v, prim, def, ind);
                break;
        }
}

/* --- structure and union functions ----------------------------------------------------- */

static const char *level_param(const struct sreg *sr) {
        return sr->st->kind == TYPE_UNION ? " int64_t level," : "";
}


/* A member's lvalue in its structure's functions: a nameless union is the structure. */
static char *member_lvalue(struct gen *g, const struct levels *L) {
        return L->f->name ? fmt(g, "r->%s", L->f->name) : "(*r)";
}

/* --- freeing what a server's implementation returned -------------------------------------- */

/*
 * MIDL's NdrPointerFree: once the response is marshaled, the server stub frees the
 * pointers embedded in an [out] referent, deepest first, each unless it is the call's
 * arena's (what the stub pulled for [in, out]).  Walked: [ref] and [unique] pointers
 * (to strings, scalars, structures, arrays), structures by value and arrays of them
 * (the elements that travel: first_is/length_is, within size_is, as the push reads
 * them).  Not walked: full pointers ([ptr] may alias one another: neither followed nor
 * freed), unions and encapsulated unions (left to the implementation), interface
 * pointers (the response's marshaling releases them) and [wire_marshal]/[user_marshal]
 * members (BSTR, VARIANT: their owners free them -- IDispatch_Invoke_Stub its
 * EXCEPINFO's -- and a pulled one is freed with the call).
 */
static bool level_frees(const struct levels *L, int i);

/* A structure with a pointer the walk frees, itself or in a member by value. */
static bool struct_frees(const struct sreg *sr) {
        if (!sr || sr->st->kind != TYPE_STRUCT)
                return false;
        for (size_t k = 0; k < sr->n_members; k++)
                if (sr->members[k].n && level_frees(&sr->members[k], 0))
                        return true;
        return false;
}

/* Whether the value at level i holds something to free (a pointer's referent, or one
   inside a structure or array by value). */
static bool level_frees(const struct levels *L, int i) {
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR:
                if (l->top)
                        return level_frees(L, i + 1);
                return l->ptr != PTR_FULL;
        case L_ARRAY:
                return level_frees(L, i + 1);
        case L_STRING:
                return false;
        case L_DATA:
                return l->dk == D_STRUCT && struct_frees(l->sr);
        }
        return false;
}

/* A parameter's value from level i reaches a structure with pointers to free. */
bool free_walk_needed(const struct levels *L, int i) {
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR:
                if (!l->top && l->ptr == PTR_FULL)
                        return false;
                return free_walk_needed(L, i + 1);
        case L_ARRAY:
                return free_walk_needed(L, i + 1);
        case L_STRING:
                return false;
        case L_DATA:
                return l->dk == D_STRUCT && struct_frees(l->sr);
        }
        return false;
}

/* Whether a value's levels include an array (whose count an expression reads). */
bool levels_have_array(const struct levels *L) {
        for (int i = 0; i < L->n; i++)
                if (L->l[i].kind == L_ARRAY)
                        return true;
        return false;
}

/* The structures emit_free reaches from level i: their walkers are written. */
void free_walk_mark(const struct levels *L, int i) {
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR:
                if (!l->top && l->ptr == PTR_FULL)
                        return;
                free_walk_mark(L, i + 1);
                return;
        case L_ARRAY:
                free_walk_mark(L, i + 1);
                return;
        case L_STRING:
                return;
        case L_DATA:
                if (l->dk != D_STRUCT || !struct_frees(l->sr) || l->sr->free_out)
                        return;
                l->sr->free_out = true;
                for (size_t k = 0; k < l->sr->n_members; k++)
                        if (l->sr->members[k].n && level_frees(&l->sr->members[k], 0))
                                free_walk_mark(&l->sr->members[k], 0);
                return;
        }
}

/*
 * Frees what the value v at level i holds, deepest first, with free_ unless arena_
 * owns it (the names in scope: arena_, free_, depth_, done_).  A top-level pointer is the
 * stub's own and only walked.  done_ turns false when a walk below stopped at the depth
 * cap (a cycle through [unique] pointers, which the push refused with -ELOOP): from then
 * on nothing is freed -- what a cycle reaches leaks rather than being freed once per lap.
 */
void emit_free(struct em *e, int i, const char *v, int ind) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR: {
                const char *r = next_is_array(L, i) ? v : deref(g, v);
                if (!l->top && l->ptr == PTR_FULL)
                        break;          /* may alias another: not ours to free twice */
                out(g, ind, "if (%s) {\n", v);
                if (level_frees(L, i + 1))
                        emit_free(e, i + 1, r, ind + 1);
                if (!l->top && !(i == 0 && e->keep_member)) {
                        out(g, ind + 1, "if (done_ && !arena_owns(arena_, %s))\n", v);
                        out(g, ind + 2, "free_((void *)%s);\n", v);
                }
                out(g, ind, "}\n");
                break;
        }
        case L_STRING:
                break;
        case L_ARRAY: {
                int k = e->loops;
                char *first, *len;

                if (!level_frees(L, i + 1) || !count_expr(e, l))
                        break;
                array_range(e, l, &first, &len);
                out(g, ind, "{\n");
                out(g, ind + 1, "uint32_t f%d_ = %s, n%d_ = %s, c%d_ = %s;\n\n", k, first, k, len,
                    k, count_expr(e, l));
                /* the elements that traveled (the rest need not be the object's at all);
                   of a range past the size, which the push refused, those inside the
                   array -- and of a top-level one, inside what the stub allocated */
                if (e->cap && i == 1)
                        out(g, ind + 1, "if ((uint64_t)c%d_ > %s)\n%*sc%d_ = (uint32_t)%s;\n", k,
                            e->cap, (ind + 2) * 8, "", k, e->cap);
                out(g, ind + 1, "if (f%d_ > c%d_)\n", k, k);
                out(g, ind + 2, "n%d_ = 0;\n", k);
                out(g, ind + 1, "else if (n%d_ > c%d_ - f%d_)\n", k, k, k);
                out(g, ind + 2, "n%d_ = c%d_ - f%d_;\n", k, k, k);
                out(g, ind + 1, "for (uint32_t i%d_ = 0; i%d_ < n%d_; i%d_++) {\n", k, k, k, k);
                e->loops++;
                emit_free(e, i + 1, fmt(g, "%s[f%d_ + i%d_]", v, k, k), ind + 2);
                e->loops--;
                out(g, ind + 1, "}\n");
                out(g, ind, "}\n");
                break;
        }
        case L_DATA:
                if (l->dk == D_STRUCT && struct_frees(l->sr))
                        out(g, ind, "if (!ndr_free_out__%s(arena_, free_, &%s, depth_ + 1))\n%*sdone_ = false;\n",
                            l->sr->fname, v, (ind + 1) * 8, "");
                break;
        }
}

static bool expr_names(const struct idl_expr *x, const char *name) {
        if (!x || !name)
                return false;
        if (x->kind == EXPR_IDENT && x->str && strcmp(x->str, name) == 0)
                return true;
        return expr_names(x->a, name) || expr_names(x->b, name) || expr_names(x->c, name);
}

/* Whether a count, length or bound of one of the structure's arrays reads member M. */
static bool member_counts(const struct sreg *sr, const struct levels *M) {
        const char *name = M->f ? M->f->name : NULL;

        for (size_t k = 0; name && k < sr->n_members; k++) {
                const struct levels *L = &sr->members[k];
                for (int i = 0; i < L->n; i++) {
                        const struct level *l = &L->l[i];
                        if (l->kind == L_ARRAY &&
                            (expr_names(l->size_is, name) || expr_names(l->max_is, name) ||
                             expr_names(l->length_is, name) || expr_names(l->first_is, name) ||
                             expr_names(l->last_is, name)))
                                return true;
                }
        }
        return false;
}

/*
 * A structure's walker: its members' referents, deepest first -- every member walked
 * before any member's own pointer is freed, since an array's size_is or length_is may
 * read through another member ([size_is(*pn)]).  True if the walk went all the way down.
 */
static void write_struct_free(struct gen *g, struct sreg *sr) {
        struct em e = {.g = g, .prefix = "r->", .side = SIDE_TYPE, .keep_member = true};

        out(g, 0, "\nstatic bool ndr_free_out__%s(struct arena *arena_, void (*free_)(void *), %s *r, unsigned depth_) {\n",
            sr->fname, sr->cname);
        out(g, 1, "bool done_ = true;\n\n");
        /* as deep as a push goes: a cycle through [unique] pointers is the object's
           error (the push refused it with -ELOOP), stopped here and leaked */
        out(g, 1, "if (depth_ > NDR_MAX_DEPTH_DEFAULT)\n");
        out(g, 2, "return false;\n");
        /* the members an array's count reads last: a count behind two pointers
           ([size_is(**ppn)]) is freed by its own member's walk */
        for (int counts = 0; counts <= 1; counts++)
                for (size_t k = 0; k < sr->n_members; k++) {
                        e.L = &sr->members[k];
                        if (e.L->n && member_counts(sr, e.L) == counts && level_frees(e.L, 0))
                                emit_free(&e, 0, member_lvalue(g, e.L), 1);
                }
        for (size_t k = 0; k < sr->n_members; k++) {
                const struct levels *L = &sr->members[k];
                const char *v = member_lvalue(g, L);
                if (!L->n || L->l[0].kind != L_PTR || L->l[0].top || L->l[0].ptr == PTR_FULL)
                        continue;
                out(g, 1, "if (done_ && %s && !arena_owns(arena_, %s))\n", v, v);
                out(g, 2, "free_((void *)%s);\n", v);
        }
        out(g, 1, "return done_;\n");
        out(g, 0, "}\n");
}


/*
 * A union member whose switch_is names a later member (sw_later): the discriminant
 * that leads the union on the wire chooses the arm, and is kept to be checked against
 * that member once it is pulled.
 */
static void pull_union_switched_later(struct gen *g, const struct levels *L, size_t i,
                                      const char *v) {
        const struct level *l = &L->l[0];
        struct scalar s;

        scalar_info(l->sr->switch_type, &s);
        out(g, 2, "{\n");
        out(g, 3, "size_t at_ = ndr->offset;\n");
        out(g, 3, "%s d_;\n", s.wtype);
        out(g, 3, "NDR_CHECK(ndr_pull_align(ndr, %u));\n", s.size);
        out(g, 3, "NDR_CHECK(%s(ndr, &d_));\n", s.pull);
        out(g, 3, "ndr->offset = at_;       /* the union pulls it again */\n");
        out(g, 3, "sw%zu_ = (int64_t)d_;\n", i);
        out(g, 3, "NDR_CHECK(ndr_pull__%s(ndr, NDR_SCALARS, sw%zu_, &%s));\n", l->sr->fname, i, v);
        out(g, 2, "}\n");
}

/* --- runs of fixed-size members --------------------------------------------------------- */

/*
 * Members whose inline part has a fixed wire size and nothing to check on either side --
 * integers, floats, booleans, [v1_enum]s, GUIDs, FILETIMEs, the referent IDs of [unique]
 * and interface pointers, [ignore]d pointers, and structures of such by value -- lie at
 * offsets known here once the first is aligned.  A run of them is pushed into one
 * ndr_push_fixed() and pulled from one ndr_pull_fixed() (<dcom/ndr.h>): one bounds check
 * instead of one per member, the same bytes.  Not in runs: 16-bit enums and [range]
 * members (checked values), embedded [ref] and full pointers, arrays, strings, unions,
 * [wire_marshal]/[user_marshal] types.
 */
static bool fixed_member(const struct levels *L, unsigned *ret_size, unsigned *ret_align,
                         unsigned *ret_items);

/* A structure of fixed-size members only: its wire size (no trailing pad in NDR 2.0). */
static bool fixed_struct(const struct sreg *sr, unsigned *ret_size, unsigned *ret_items) {
        unsigned off = 0, items = 0;

        if (!sr || sr->st->kind != TYPE_STRUCT || sr->conformant || !sr->n_members)
                return false;
        for (size_t i = 0; i < sr->n_members; i++) {
                unsigned size, align, n;
                if (!fixed_member(&sr->members[i], &size, &align, &n))
                        return false;
                off = (off + align - 1) & ~(align - 1);
                off += size;
                items += n;
        }
        *ret_size = off;
        *ret_items = items;
        return true;
}

/* Whether member L's inline part has a fixed layout: its size, alignment and stores. */
static bool fixed_member(const struct levels *L, unsigned *ret_size, unsigned *ret_align,
                         unsigned *ret_items) {
        const struct level *l = &L->l[0];
        struct scalar s;

        *ret_items = 1;
        if (L->n == 0)
                return false;
        if (l->kind == L_PTR) {
                *ret_size = *ret_align = 4;
                return !l->top && l->ptr == PTR_UNIQUE;
        }
        if (l->kind != L_DATA)
                return false;
        switch (l->dk) {
        case D_SCALAR:
                if (l->range || !scalar_info(l->type, &s) || strcmp(s.push, "ndr_push_enum16") == 0)
                        return false;
                *ret_size = *ret_align = s.size;
                return true;
        case D_GUID:
                *ret_size = 16;
                *ret_align = 4;
                return true;
        case D_FILETIME:
                *ret_size = 8;
                *ret_align = 4;
                *ret_items = 2;
                return true;
        case D_IFACE:
        case D_IGNORE:
                *ret_size = *ret_align = 4;
                return true;
        case D_STRUCT:
                *ret_align = l->sr ? l->sr->align : 1;
                return fixed_struct(l->sr, ret_size, ret_items);
        default:
                return false;
        }
}

/* Member L (value v) of a run, at *off from the run's start (aligned here, the pad zeroed,
   then moved past it): stored through q_ (push) or loaded from p_ (pull). */
static void emit_fixed(struct gen *g, const struct levels *L, const char *v, bool push,
                       unsigned *off, int ind) {
        const struct level *l = &L->l[0];
        unsigned size = 0, align = 1, items, o;
        struct scalar s;

        fixed_member(L, &size, &align, &items);
        o = (*off + align - 1) & ~(align - 1);
        if (push && o > *off)   /* pad bytes are zeros, as every push's */
                out(g, ind, "memset(q_ + %u, 0, %u);        /* pad */\n", *off, o - *off);
        *off = o + size;
        if (l->kind == L_PTR || l->dk == D_IFACE) {
                if (push)
                        out(g, ind, "ndr_put_uint32(q_ + %u, ndr_push_unique_id(ndr, %s));\n", o, v);
                else
                        out(g, ind, "%s = ndr_get_uint32(ndr, p_ + %u) ? NDR_PTR_PENDING : NULL;\n", v, o);
                return;
        }
        switch (l->dk) {
        case D_SCALAR:
                scalar_info(l->type, &s);
                if (strcmp(s.wtype, "bool") == 0) {
                        if (push)
                                out(g, ind, "ndr_put_uint8(q_ + %u, (%s) ? 1 : 0);\n", o, v);
                        else
                                out(g, ind, "%s = ndr_get_uint8(ndr, p_ + %u) != 0;\n", v, o);
                } else if (strcmp(s.wtype, "float") == 0 || strcmp(s.wtype, "double") == 0) {
                        if (push)
                                out(g, ind, "ndr_put_%s(q_ + %u, (%s)(%s));\n", s.wtype, o, s.wtype, v);
                        else
                                out(g, ind, "%s = ndr_get_%s(ndr, p_ + %u);\n", v, s.wtype, o);
                } else if (push) {
                        out(g, ind, "ndr_put_uint%u(q_ + %u, (uint%u_t)(%s));\n", s.size * 8, o,
                            s.size * 8, v);
                } else if (s.wtype[0] == 'u') {
                        out(g, ind, "%s = ndr_get_uint%u(ndr, p_ + %u);\n", v, s.size * 8, o);
                } else {
                        out(g, ind, "%s = (%s)ndr_get_uint%u(ndr, p_ + %u);\n", v, s.wtype,
                            s.size * 8, o);
                }
                break;
        case D_GUID:
                if (push)
                        out(g, ind, "ndr_put_guid(q_ + %u, &%s);\n", o, v);
                else
                        out(g, ind, "ndr_get_guid(ndr, p_ + %u, &%s);\n", o, v);
                break;
        case D_FILETIME:
                if (push) {
                        out(g, ind, "ndr_put_uint32(q_ + %u, %s.dwLowDateTime);\n", o, v);
                        out(g, ind, "ndr_put_uint32(q_ + %u, %s.dwHighDateTime);\n", o + 4, v);
                } else {
                        out(g, ind, "%s.dwLowDateTime = ndr_get_uint32(ndr, p_ + %u);\n", v, o);
                        out(g, ind, "%s.dwHighDateTime = ndr_get_uint32(ndr, p_ + %u);\n", v, o + 4);
                }
                break;
        case D_IGNORE:
                if (push)
                        out(g, ind, "ndr_put_uint32(q_ + %u, 0);   /* [ignore] */\n", o);
                else    /* whatever the peer sent, the member is NULL */
                        out(g, ind, "%s = NULL;       /* [ignore] */\n", v);
                break;
        case D_STRUCT:
                for (size_t k = 0; k < l->sr->n_members; k++) {
                        const struct levels *M = &l->sr->members[k];
                        emit_fixed(g, M, fmt(g, "%s.%s", v, M->f->name), push, &o, ind);
                }
                break;
        default:
                break;
        }
}

/*
 * The run of fixed-size members from sr's member i: its end (the first member after it)
 * when it is worth one check -- two stores or more -- else i; *ret_size its wire size.
 * It starts aligned to *ret_align -- the structure's own at its start, else the first
 * member's -- and takes no member aligned more: the offsets inside are then the same
 * wherever it lands.
 */
static size_t fixed_run(const struct sreg *sr, size_t i, unsigned *ret_size, unsigned *ret_align) {
        unsigned off = 0, align = i == 0 ? sr->align : 0, items = 0;
        size_t j;

        for (j = i; j < sr->n_members; j++) {
                unsigned sz, al, n;
                if (!fixed_member(&sr->members[j], &sz, &al, &n))
                        break;
                if (!align)
                        align = al;
                if (al > align)
                        break;
                off = (off + al - 1) & ~(al - 1);
                off += sz;
                items += n;
        }
        if (items < 2)
                return i;
        *ret_size = off;
        *ret_align = align;
        return j;
}

static void write_fixed_run(struct gen *g, const struct sreg *sr, size_t i, size_t end,
                            unsigned size, unsigned align, bool push) {
        unsigned off = 0;

        out(g, 2, "{\n");
        if (push) {
                out(g, 3, "uint8_t *q_ = ndr_push_fixed(ndr, %u, %u);\n\n", align, size);
                out(g, 3, "if (q_) {\n");
        } else {
                out(g, 3, "const uint8_t *p_;\n\n");
                out(g, 3, "NDR_CHECK(ndr_pull_fixed(ndr, %u, %u, &p_));\n", align, size);
        }
        for (; i < end; i++)
                emit_fixed(g, &sr->members[i], member_lvalue(g, &sr->members[i]), push, &off,
                           push ? 4 : 3);
        if (push)
                out(g, 3, "}\n");
        out(g, 2, "}\n");
}

static void write_struct(struct gen *g, struct sreg *sr, bool push) {
        struct em e = {.g = g, .ndr = "ndr", .prefix = "r->", .side = SIDE_TYPE};
        const struct levels *last = sr->conformant ? &sr->members[sr->n_members - 1] : NULL;

        if (push)
                out(g, 0, "\nstatic %sint ndr_push__%s(struct ndr_push *ndr, int ndr_flags, const %s *r) {\n",
                    sr->hot ? "inline " : "", sr->fname, sr->cname);
        else
                out(g, 0, "\nstatic %sint ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags, %s *r) {\n",
                    sr->hot ? "inline " : "", sr->fname, sr->cname);
        if (!push) {
                out(g, 1, "uint32_t id_ = 0, conf_ = 0;\n");
                for (size_t i = 0; i < sr->n_members; i++)
                        if (sr->members[i].l[0].sw_later)
                                out(g, 1, "int64_t sw%zu_ = 0;\n", i);
                out(g, 0, "\n");
                out(g, 1, "(void)id_;\n        (void)conf_;\n");
        }
        out(g, 1, "if (ndr_flags & NDR_SCALARS) {\n");
        if (last) {
                e.L = last;
                if (push)
                        out(g, 2, "ndr_push_conformance(ndr, %s);       /* hoisted */\n",
                            count_expr(&e, &last->l[0]));
                else
                        out(g, 2, "NDR_CHECK(ndr_pull_conformance(ndr, &conf_));       /* hoisted */\n");
        }
        if (!sr->n_members)
                out(g, 2, push ? "ndr_push_align(ndr, %u);\n" : "NDR_CHECK(ndr_pull_align(ndr, %u));\n",
                    sr->align);
        for (size_t i = 0; i < sr->n_members; i++) {
                unsigned size = 0, align = 1;
                size_t end = fixed_run(sr, i, &size, &align);
                if (end > i) {
                        /* the first run also aligns the structure */
                        write_fixed_run(g, sr, i, end, size, align, push);
                        i = end - 1;
                        continue;
                }
                if (i == 0)
                        out(g, 2, push ? "ndr_push_align(ndr, %u);\n"
                                       : "NDR_CHECK(ndr_pull_align(ndr, %u));\n",
                            sr->align);
                e.L = &sr->members[i];
                char *v = member_lvalue(g, e.L);
                if (push)
                        emit_push(&e, 0, v, true, false, 2);
                else if (e.L->l[0].sw_later)
                        pull_union_switched_later(g, e.L, i, v);
                else
                        emit_pull(&e, 0, v, true, false, 2, M_INLINE);
        }
        /* a union's discriminant pulled before the member switch_is names: the same */
        for (size_t i = 0; i < sr->n_members && !push; i++)
                if (sr->members[i].l[0].sw_later)
                        out(g, 2, "if ((int64_t)(%s) != sw%zu_)\n                        return -EBADMSG;        /* not the switch_is value */\n",
                            expr_str(g, sr->members[i].l[0].sw, "r->"), i);
        out(g, 1, "}\n");
        if (sr->deferred) {
                out(g, 1, "if (ndr_flags & NDR_BUFFERS) {\n");
                for (size_t i = 0; i < sr->n_members; i++) {
                        e.L = &sr->members[i];
                        if (!level_deferred(e.L, 0))
                                continue;
                        char *v = member_lvalue(g, e.L);
                        if (push)
                                emit_push(&e, 0, v, false, true, 2);
                        else
                                emit_pull(&e, 0, v, false, true, 2, M_INLINE);
                }
                out(g, 1, "}\n");
        }
        out(g, 1, push ? "return ndr_push_error(ndr);\n" : "return 0;\n");
        out(g, 0, "}\n");
}

static void write_case_labels(struct gen *g, struct idl_field *f, int ind) {
        int64_t v;

        for (size_t k = 0; k < f->n_cases; k++) {
                idl_eval(g->ctx, f->cases[k], &v);
                out(g, ind, "case %lldLL:\n", (long long)v);
        }
        if (f->is_default)
                out(g, ind, "default:\n");
}

static bool has_default(struct idl_type *st) {
        for (struct idl_field *f = st->fields; f; f = f->next)
                if (f->is_default)
                        return true;
        return false;
}

static void write_union(struct gen *g, struct sreg *sr, bool push) {
        struct idl_type *st = sr->st;
        bool encap = st->kind == TYPE_ENCAP_UNION;
        const char *un = st->union_name ? st->union_name : "u";
        struct em e = {.g = g, .ndr = "ndr", .prefix = "r->", .side = SIDE_TYPE};
        struct idl_type *swt = encap ? st->switch_field->type : sr->switch_type;
        struct scalar s;
        unsigned aa = 1;
        char *sw = encap ? fmt(g, "r->%s", st->switch_field->name) : "level";

        for (size_t i = 0; i < sr->n_members; i++)
                if (sr->members[i].n) {
                        unsigned a = level_align(g, &sr->members[i], 0);
                        if (a > aa)
                                aa = a;
                }
        scalar_info(swt, &s);
        if (push)
                out(g, 0, "\nstatic int ndr_push__%s(struct ndr_push *ndr, int ndr_flags,%s const %s *r) {\n",
                    sr->fname, level_param(sr), sr->cname);
        else
                out(g, 0, "\nstatic int ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) {\n",
                    sr->fname, level_param(sr), sr->cname);
        if (!push)
                out(g, 1, "uint32_t id_ = 0;\n\n        (void)id_;\n");
        out(g, 1, "if (ndr_flags & NDR_SCALARS) {\n");
        /*
         * [MS-RPCE] 2.2.5.3.4.4: in NDR 2.0 a union is its discriminant, aligned to its own
         * type, then the arm, aligned to its own; an encapsulated union is a structure, so
         * it starts aligned to its largest member.  No trailing pad (2.2.5.3.4.1: NDR64).
         */
        (void)aa;
        if (push) {
                if (encap)
                        out(g, 2, "ndr_push_align(ndr, %u);\n", sr->align);
                out(g, 2, "%s(ndr, (%s)(%s));\n", s.push, s.wtype, sw);
        } else {
                if (encap)
                        out(g, 2, "NDR_CHECK(ndr_pull_align(ndr, %u));\n", sr->align);
                out(g, 2, "{\n");
                out(g, 3, "%s v_;\n", s.wtype);
                out(g, 3, "NDR_CHECK(%s(ndr, &v_));\n", s.pull);
                if (encap)
                        out(g, 3, "%s = v_;\n", sw);
                else
                        out(g, 3, "if ((int64_t)v_ != level)\n                                return -EBADMSG;        /* not the switch_is value */\n");
                out(g, 2, "}\n");
        }
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (!sr->deferred)
                                break;
                        out(g, 1, "if (ndr_flags & NDR_BUFFERS) {\n");
                }
                out(g, 2, "switch ((int64_t)%s) {\n", sw);
                for (size_t i = 0; i < sr->n_members; i++) {
                        const struct levels *L = &sr->members[i];
                        write_case_labels(g, L->f, 2);
                        if (L->n) {
                                char *v = encap ? fmt(g, "r->%s.%s", un, L->f->name)
                                                : fmt(g, "r->%s", L->f->name);
                                e.L = L;
                                if (push)
                                        emit_push(&e, 0, v, pass == 0, pass == 1, 3);
                                else
                                        emit_pull(&e, 0, v, pass == 0, pass == 1, 3, M_INLINE);
                        }
                        out(g, 3, "break;\n");
                }
                if (!has_default(st)) {
                        out(g, 2, "default:\n");
                        if (pass == 0)
                                out(g, 3, "return ndr_%s_bad_arm(ndr, (uint32_t)%s);\n",
                                    push ? "push" : "pull", sw);
                        else
                                out(g, 3, "break;\n");
                }
                out(g, 2, "}\n");
                out(g, 1, "}\n");
        }
        out(g, 1, push ? "return ndr_push_error(ndr);\n" : "return 0;\n");
        out(g, 0, "}\n");
}

void write_type_funcs(struct gen *g) {
        if (!g->n_structs)
                return;
        out(g, 0, "\n/* --- types --- */\n\n");
        for (size_t i = 0; i < g->n_structs; i++) {
                struct sreg *sr = g->structs[i];
                const char *in = sr->hot ? "inline " : "";
                out(g, 0, "static %sint ndr_push__%s(struct ndr_push *ndr, int ndr_flags,%s const %s *r) __attribute__((unused));\n",
                    in, sr->fname, level_param(sr), sr->cname);
                out(g, 0, "static %sint ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) __attribute__((unused));\n",
                    in, sr->fname, level_param(sr), sr->cname);
                out(g, 0, "static const char ndr_tag_%s_ __attribute__((unused));\n", sr->fname);
        }
        for (size_t i = 0; i < g->n_structs; i++) {
                struct sreg *sr = g->structs[i];
                if (sr->st->kind == TYPE_STRUCT) {
                        write_struct(g, sr, true);
                        write_struct(g, sr, false);
                } else {
                        write_union(g, sr, true);
                        write_union(g, sr, false);
                }
        }
        /* the server stubs' [out] walkers: only the structures an [out] parameter reaches */
        bool any = false;
        for (size_t i = 0; i < g->n_structs; i++)
                any |= g->structs[i]->free_out;
        if (any)
                out(g, 0, "\n");
        for (size_t i = 0; i < g->n_structs; i++)
                if (g->structs[i]->free_out)
                        out(g, 0, "static bool ndr_free_out__%s(struct arena *arena_, void (*free_)(void *), %s *r, unsigned depth_) __attribute__((unused));\n",
                            g->structs[i]->fname, g->structs[i]->cname);
        for (size_t i = 0; i < g->n_structs; i++)
                if (g->structs[i]->free_out)
                        write_struct_free(g, g->structs[i]);
}
