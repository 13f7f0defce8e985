/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's grammar: MIDL as Microsoft's midl and Wine's widl accept it, after the C
 * preprocessor.  Actions build the AST of idl.h; names are resolved later (check.c),
 * so the grammar needs no typedef-name feedback from the scanner.  The first syntax
 * error stops the parse (no recovery: one clear message beats a cascade).
 */
%define api.pure full
%define api.prefix {idl_yy}
%define api.location.type {struct idl_loc}
%define parse.error verbose
%locations
/* `( NAME )`: shifting into paren_ident is right; it stands for both readings. */
%expect 1
%param {void *scanner}
%parse-param {struct idl_lexstate *ls}

%code requires {
#include "idl.h"
#include "parse-internal.h"
}

%code {
#include <stdlib.h>
#include <string.h>

int idl_yylex(IDL_YYSTYPE *lval, struct idl_loc *lloc, void *scanner);
static void idl_yyerror(struct idl_loc *loc, void *scanner, struct idl_lexstate *ls,
                        const char *msg);

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                             \
        do {                                                                    \
                if (N)                                                          \
                        (Cur) = YYRHSLOC(Rhs, 1);                               \
                else                                                            \
                        (Cur) = YYRHSLOC(Rhs, 0);                               \
        } while (0)

#define CTX (ls->ctx)
#define DECL_PUSH(list, d) \
        ((list).v = (struct idl_decl **)vec_push(ls, (void **)(list).v, (list).n++, (d)))

static struct idl_expr *expr_new(struct idl_lexstate *ls, enum idl_expr_kind kind, int op,
                                 struct idl_expr *a, struct idl_expr *b,
                                 const struct idl_loc *loc) {
        struct idl_expr *e = idl_alloc(CTX, sizeof *e);
        e->kind = kind;
        e->op = op;
        e->a = a;
        e->b = b;
        e->loc = *loc;
        return e;
}

static struct idl_expr *expr_str(struct idl_lexstate *ls, enum idl_expr_kind kind,
                                 const char *s, const struct idl_loc *loc) {
        struct idl_expr *e = expr_new(ls, kind, 0, NULL, NULL, loc);
        e->str = s;
        if (kind == EXPR_NUM)
                e->num = strtoull(s, NULL, 0);
        return e;
}

static struct idl_decl *decl_new(struct idl_lexstate *ls, int kind, struct idl_decl *inner,
                                 const struct idl_loc *loc) {
        struct idl_decl *d = idl_alloc(CTX, sizeof *d);
        d->kind = kind;
        d->inner = inner;
        d->loc = *loc;
        return d;
}

static struct idl_type *basic(struct idl_lexstate *ls, enum idl_basic b, enum idl_sign s,
                              const struct idl_loc *loc) {
        struct idl_type *t = idl_type_new(CTX, TYPE_BASIC, loc);
        t->basic = b;
        t->sign = s;
        return t;
}

static struct idl_type *signed_basic(struct idl_lexstate *ls, struct idl_type *t,
                                     enum idl_sign s) {
        t->sign = s;
        return t;
}

static struct idl_type *const_of(struct idl_lexstate *ls, struct idl_type *t) {
        /* Named or shared types must not be modified: wrap them in a const copy. */
        struct idl_type *c = idl_alloc(CTX, sizeof *c);
        *c = *t;
        if (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION || t->kind == TYPE_ENUM ||
            t->kind == TYPE_ENCAP_UNION || t->kind == TYPE_NAMEREF || t->kind == TYPE_ALIAS) {
                c->kind = TYPE_NAMEREF;         /* const view of a named type */
                c->ref = t;
                c->name = t->name;
        }
        c->is_const = true;
        return c;
}

/* Applies declarator d to base type t ([C99] 6.7.5): returns the declared type. */
static struct idl_type *apply(struct idl_lexstate *ls, struct idl_type *t, struct idl_decl *d,
                              const char **ret_name, struct idl_loc *ret_loc) {
        while (d) {
                struct idl_type *n;
                switch (d->kind) {
                case '*':
                        n = idl_type_new(CTX, TYPE_POINTER, &d->loc);
                        n->ref = t;
                        n->is_const = d->is_const;
                        t = n;
                        break;
                case '[':
                        n = idl_type_new(CTX, TYPE_ARRAY, &d->loc);
                        n->ref = t;
                        n->size = d->size;
                        t = n;
                        break;
                case '(':
                        n = idl_type_new(CTX, TYPE_FUNCTION, &d->loc);
                        n->ref = t;
                        n->fields = d->params;
                        t = n;
                        break;
                case 'b':
                        break;          /* bit-field: recorded by member_fields */
                default:
                        *ret_name = d->name;
                        *ret_loc = d->loc;
                        break;
                }
                d = d->inner;
        }
        return t;
}

static struct idl_stmt *stmt_new(struct idl_lexstate *ls, enum idl_stmt_kind kind,
                                 const struct idl_loc *loc) {
        struct idl_stmt *s = idl_alloc(CTX, sizeof *s);
        s->kind = kind;
        s->loc = *loc;
        s->imported = ls->imported;
        return s;
}

static void list_init(struct idl_stmt_list *l) {
        l->head = NULL;
        l->tail = &l->head;
}

static void list_add(struct idl_stmt_list *l, struct idl_stmt *s) {
        while (s) {
                *l->tail = s;
                l->tail = &s->next;
                s = s->next;
        }
}

static void *vec_push(struct idl_lexstate *ls, void **v, size_t n, void *x) {
        void **nv = idl_alloc(CTX, (n + 1) * sizeof *nv);
        if (n)
                memcpy(nv, v, n * sizeof *nv);
        nv[n] = x;
        return nv;
}

static struct idl_iface *iface_new(struct idl_lexstate *ls, enum idl_iface_kind kind,
                                   const char *name, struct idl_attr *attrs,
                                   const struct idl_loc *loc) {
        struct idl_iface *i = idl_alloc(CTX, sizeof *i);
        i->kind = kind;
        i->name = name;
        i->attrs = attrs;
        i->loc = *loc;
        i->imported = ls->imported;
        i->type = idl_type_new(CTX, kind == IFACE_COCLASS ? TYPE_COCLASS : TYPE_INTERFACE, loc);
        i->type->name = name;
        i->type->iface = i;
        i->type->imported = ls->imported;
        return i;
}

/* MIDL and widl take declarations only in an interface, dispinterface, coclass or module:
   no interface, library, coclass or module defined inside (a library may hold them). */
static void no_nested(struct idl_lexstate *ls, struct idl_stmt *body, const char *kind,
                      const char *name) {
        for (struct idl_stmt *in = body; in; in = in->next)
                if (in->kind == STMT_INTERFACE)
                        idl_error(CTX, &in->loc, "'%s' cannot be defined inside %s '%s'",
                                  in->name ? in->name : "?", kind, name);
}

static struct idl_stmt *iface_stmt(struct idl_lexstate *ls, struct idl_iface *i) {
        struct idl_stmt *s = stmt_new(ls, STMT_INTERFACE, &i->loc);
        s->iface = i;
        s->name = i->name;
        s->attrs = i->attrs;
        return s;
}

/* `[attrs] type declarator [= value];` inside a body: a method, function or const. */
static struct idl_stmt *decl_stmt(struct idl_lexstate *ls, struct idl_attr *attrs,
                                  struct idl_type *t, struct idl_decl *d, struct idl_expr *init,
                                  const struct idl_loc *loc) {
        const char *name = NULL;
        struct idl_loc nloc = *loc;
        bool is_const = t->is_const;
        struct idl_type *type = apply(ls, t, d, &name, &nloc);
        struct idl_stmt *s;

        if (init) {
                s = stmt_new(ls, STMT_CONST, &nloc);
                s->name = name;
                s->type = type;
                s->expr = init;
                s->attrs = attrs;
                if (!is_const && type->kind != TYPE_POINTER)
                        idl_error(CTX, &nloc, "'%s' has an initializer but is not const",
                                  name ? name : "?");
                return s;
        }
        if (type->kind != TYPE_FUNCTION) {
                idl_error(CTX, &nloc, "declaration of '%s' is neither a method nor a const",
                          name ? name : "?");
                return NULL;
        }
        s = stmt_new(ls, STMT_FUNC, &nloc);
        s->func = idl_alloc(CTX, sizeof *s->func);
        s->func->name = name;
        s->func->type = type;
        s->func->attrs = attrs;
        s->func->loc = nloc;
        s->name = name;
        s->attrs = attrs;
        return s;
}

/* Fields for each declarator of a member line; the declarators share attributes. */
static struct idl_field *member_fields(struct idl_lexstate *ls, struct idl_attr *attrs,
                                       struct idl_type *t, struct idl_decl_list *dl) {
        struct idl_field *head = NULL, **tail = &head;
        for (size_t i = 0; i < dl->n; i++) {
                struct idl_field *f = idl_alloc(CTX, sizeof *f);
                f->loc = dl->v[i]->loc;
                f->type = apply(ls, t, dl->v[i], &f->name, &f->loc);
                if (dl->v[i]->kind == 'b')
                        f->bits = dl->v[i]->bits;
                f->attrs = attrs;
                *tail = f;
                tail = &f->next;
        }
        return head;
}

static struct idl_type *tagged(struct idl_lexstate *ls, enum idl_type_kind kind,
                               const char *tag, struct idl_field *fields, bool defined,
                               const struct idl_loc *loc) {
        struct idl_type *t = idl_type_new(CTX, kind, loc);
        t->name = tag;
        t->fields = fields;
        t->defined = defined;
        t->imported = ls->imported;
        return t;
}

/* "(const NAME **)" -> the type */
static struct idl_type *ptr_cast_type(struct idl_lexstate *ls, const char *text,
                                      const struct idl_loc *loc) {
        const char *p = text + 1;
        bool is_const = false;
        while (*p == ' ' || *p == '\t')
                p++;
        if (strncmp(p, "const", 5) == 0 && (p[5] == ' ' || p[5] == '\t')) {
                is_const = true;
                p += 5;
                while (*p == ' ' || *p == '\t')
                        p++;
        }
        size_t n = 0;
        while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '*')
                n++;
        char *name = idl_strndup(CTX, p, n);
        struct idl_type *t;
        if (strcmp(name, "void") == 0) {
                t = idl_type_new(CTX, TYPE_VOID, loc);
        } else {
                t = idl_type_new(CTX, TYPE_NAMEREF, loc);
                t->name = name;
        }
        if (is_const)
                t = const_of(ls, t);
        for (p += n; *p; p++)
                if (*p == '*') {
                        struct idl_type *q = idl_type_new(CTX, TYPE_POINTER, loc);
                        q->ref = t;
                        t = q;
                }
        return t;
}

static char *concat(struct idl_lexstate *ls, const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        char *s = idl_alloc(CTX, la + lb + 1);
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
        return s;
}
}

%union {
        const char *str;
        struct idl_expr *expr;
        struct idl_attr *attr;
        struct idl_type *type;
        struct idl_decl *decl;
        struct idl_field *field;
        struct idl_stmt *stmt;
        struct idl_stmt_list stmts;
        struct idl_field_list fields;
        struct idl_decl_list decls;
        struct idl_expr_list exprs;
        int num;
}

%token <str> tIDENT "identifier" tNUM "number" tFLOAT "floating constant"
%token <str> tSTRING "string" tWSTRING "wide string" tCHAR "character constant"
%token <str> tUUID "uuid" tPRAGMA "midl_pragma" tPTRCAST "pointer cast"
%token tSHL "<<" tSHR ">>" tEQ "==" tNE "!=" tLE "<=" tGE ">=" tAND "&&" tOR "||"
%token tARROW "->"
%token tIMPORT "import" tIMPORTLIB "importlib" tINTERFACE "interface"
%token tDISPINTERFACE "dispinterface" tCOCLASS "coclass" tLIBRARY "library"
%token tMODULE "module" tTYPEDEF "typedef" tSTRUCT "struct" tUNION "union" tENUM "enum"
%token tCONST "const" tCPPQUOTE "cpp_quote" tSWITCH "switch" tCASE "case"
%token tDEFAULT "default" tVOID "void" tBOOLEAN "boolean" tBYTE "byte" tCHARKW "char"
%token tSMALL "small" tSHORT "short" tINT "int" tLONG "long" tHYPER "hyper"
%token tINT3264 "__int3264" tINT64 "__int64" tFLOATKW "float" tDOUBLE "double"
%token tWCHAR "wchar_t" tHANDLE "handle_t" tERRSTATUS "error_status_t"
%token tUNSIGNED "unsigned" tSIGNED "signed" tSIZEOF "sizeof"
%token tPROPERTIES "properties" tMETHODS "methods" tCALLCONV "calling convention"
%token tVOLATILE "volatile" tEXTERN "extern" tINT32 "__int32" tINT16 "__int16" tINT8 "__int8"
%token tSAFEARRAY "SAFEARRAY"

%type <stmts> stmts iface_body
%type <stmt> stmt import_list
%type <attr> attrs_opt attr_groups attr_list attr
%type <expr> paren_ident cast_operand expr expr_opt attr_arg init_opt case_label
%type <exprs> attr_args case_labels
%type <type> type type_nq basic int_kw struct_type union_type enum_type
%type <decl> declarator direct_decl abs_declarator_opt abs_declarator direct_abs
%type <decls> declarator_list member_list
%type <decl> member_decl
%type <field> field field_body params param_list param enum_list enum_item
%type <fields> fields
%type <str> string ident_opt any_ident inherit_opt

%right '?' ':'
%left tOR
%left tAND
%left '|'
%left '^'
%left '&'
%left tEQ tNE
%left '<' '>' tLE tGE
%left tSHL tSHR
%left '+' '-'
%left '*' '/' '%'
%precedence NEG '!' '~' CAST
%precedence '.' tARROW '['

%%

file:   stmts { ls->stmts = $1.head; }
        ;

stmts:  %empty { list_init(&$$); }
        | stmts stmt { $$ = $1; list_add(&$$, $2); }
        ;

stmt:   ';' { $$ = NULL; }
        | tIMPORT import_list ';' { $$ = $2; }
        | tIMPORTLIB '(' string ')' {
                $$ = stmt_new(ls, STMT_IMPORTLIB, &@1);
                $$->text = $3; }
        | tCPPQUOTE '(' string ')' {
                $$ = stmt_new(ls, STMT_CPP_QUOTE, &@1);
                $$->text = $3; }
        | tPRAGMA {
                $$ = stmt_new(ls, STMT_PRAGMA, &@1);
                $$->text = $1; }
        | tTYPEDEF attrs_opt type declarator_list ';' {
                $$ = stmt_new(ls, STMT_TYPEDEF, &@1);
                $$->type = $3;
                $$->attrs = $2;
                for (size_t i = 0; i < $4.n; i++) {
                        struct idl_type *a = idl_type_new(CTX, TYPE_ALIAS, &$4.v[i]->loc);
                        struct idl_loc nloc = $4.v[i]->loc;
                        a->ref = apply(ls, $3, $4.v[i], &a->name, &nloc);
                        a->loc = nloc;
                        a->attrs = $2;
                        a->imported = ls->imported;
                        $$->decls = vec_push(ls, (void **)$$->decls, $$->n_decls++, a);
                } }
        | attrs_opt type ';' {
                $$ = stmt_new(ls, STMT_TYPE, &@2);
                $$->type = $2;
                $$->attrs = $1;
                if ($2->attrs == NULL)
                        $2->attrs = $1; }
        | attrs_opt type declarator init_opt ';' { $$ = decl_stmt(ls, $1, $2, $3, $4, &@2); }
        | attrs_opt tEXTERN type declarator ';' {
                const char *name = NULL;
                struct idl_loc nloc = @4;
                struct idl_type *t = apply(ls, $3, $4, &name, &nloc);
                $$ = stmt_new(ls, STMT_EXTERN, &nloc);
                $$->name = name;
                $$->type = t;
                $$->attrs = $1; }
        | attrs_opt tINTERFACE tIDENT inherit_opt '{' iface_body '}' {
                struct idl_iface *i = iface_new(ls, IFACE_INTERFACE, $3, $1, &@3);
                no_nested(ls, $6.head, "interface", $3);
                i->base_name = $4;
                i->base_loc = @4;
                i->stmts = $6.head;
                i->defined = true;
                $$ = iface_stmt(ls, i); }
        | attrs_opt tINTERFACE tIDENT ';' {
                $$ = stmt_new(ls, STMT_IFACE_FWD, &@3);
                $$->name = $3;
                $$->attrs = $1; }
        | attrs_opt tDISPINTERFACE tIDENT '{' tPROPERTIES ':' fields tMETHODS ':' iface_body '}'
          {
                struct idl_iface *i = iface_new(ls, IFACE_DISPINTERFACE, $3, $1, &@3);
                no_nested(ls, $10.head, "dispinterface", $3);
                i->defined = true;
                i->stmts = $10.head;
                i->type->fields = $7.head;
                $$ = iface_stmt(ls, i); }
        | attrs_opt tDISPINTERFACE tIDENT '{' iface_body '}' {
                struct idl_iface *i = iface_new(ls, IFACE_DISPINTERFACE, $3, $1, &@3);
                no_nested(ls, $5.head, "dispinterface", $3);
                i->defined = true;
                i->stmts = $5.head;
                $$ = iface_stmt(ls, i); }
        | attrs_opt tDISPINTERFACE tIDENT ';' {
                $$ = stmt_new(ls, STMT_IFACE_FWD, &@3);
                $$->name = $3;
                $$->attrs = $1;
                $$->text = "dispinterface"; }
        | attrs_opt tCOCLASS tIDENT '{' iface_body '}' {
                struct idl_iface *i = iface_new(ls, IFACE_COCLASS, $3, $1, &@3);
                no_nested(ls, $5.head, "coclass", $3);
                i->defined = true;
                i->stmts = $5.head;
                $$ = iface_stmt(ls, i); }
        | attrs_opt tCOCLASS tIDENT ';' {
                $$ = stmt_new(ls, STMT_IFACE_FWD, &@3);
                $$->name = $3;
                $$->attrs = $1;
                $$->text = "coclass"; }
        | attrs_opt tLIBRARY tIDENT '{' iface_body '}' {
                struct idl_iface *i = iface_new(ls, IFACE_LIBRARY, $3, $1, &@3);
                i->defined = true;
                i->stmts = $5.head;
                $$ = iface_stmt(ls, i); }
        | attrs_opt tMODULE tIDENT '{' iface_body '}' {
                struct idl_iface *i = iface_new(ls, IFACE_MODULE, $3, $1, &@3);
                no_nested(ls, $5.head, "module", $3);
                i->defined = true;
                i->stmts = $5.head;
                $$ = iface_stmt(ls, i); }
        ;

iface_body: stmts { $$ = $1; }
        ;

inherit_opt: %empty { $$ = NULL; }
        | ':' tIDENT { $$ = $2; @$ = @2; }
        ;

import_list: string {
                $$ = stmt_new(ls, STMT_IMPORT, &@1);
                $$->text = $1;
                idl_import(CTX, $1, &@1); }
        | import_list ',' string {
                struct idl_stmt *s = stmt_new(ls, STMT_IMPORT, &@3);
                s->text = $3;
                idl_import(CTX, $3, &@3);
                struct idl_stmt *p = $1;
                while (p->next)
                        p = p->next;
                p->next = s;
                $$ = $1; }
        ;

string: tSTRING { $$ = $1; }
        | string tSTRING { $$ = concat(ls, $1, $2); }
        ;

/* --- attributes --- */

attrs_opt: %empty { $$ = NULL; }
        | attr_groups { $$ = $1; }
        ;

attr_groups: '[' ']' { $$ = NULL; }
        | '[' attr_list ']' { $$ = $2; }
        | '[' attr_list ',' ']' { $$ = $2; }
        | attr_groups '[' ']' { $$ = $1; }
        | attr_groups '[' attr_list ',' ']' {
                struct idl_attr **p = &$1;
                while (*p)
                        p = &(*p)->next;
                *p = $3;
                $$ = $1; }
        | attr_groups '[' attr_list ']' {
                struct idl_attr **p = &$1;
                while (*p)
                        p = &(*p)->next;
                *p = $3;
                $$ = $1; }
        ;

attr_list: attr { $$ = $1; }
        | attr_list ',' attr {
                struct idl_attr *p = $1;
                while (p->next)
                        p = p->next;
                p->next = $3;
                $$ = $1; }
        ;

attr:   any_ident {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->name = $1;
                $$->loc = @1; }
        | any_ident '(' attr_args ')' {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->name = $1;
                $$->loc = @1;
                $$->has_parens = true;
                $$->args = $3.v;
                $$->n_args = $3.n; }
        ;

any_ident: tIDENT { $$ = $1; }
        | tDEFAULT { $$ = "default"; }
        | tCASE { $$ = "case"; }
        | tCONST { $$ = "const"; }
        | tHANDLE { $$ = "handle"; }
        | tSWITCH { $$ = "switch"; }
        | tMODULE { $$ = "module"; }
        ;

attr_args: attr_arg {
                $$.v = NULL;
                $$.n = 0;
                $$.v = vec_push(ls, (void **)$$.v, $$.n++, $1); }
        | attr_args ',' attr_arg { $$ = $1; $$.v = vec_push(ls, (void **)$$.v, $$.n++, $3); }
        ;

attr_arg: %empty { $$ = expr_new(ls, EXPR_EMPTY, 0, NULL, NULL, &@$); }
        | expr { $$ = $1; }
        | tUUID { $$ = expr_str(ls, EXPR_UUID, $1, &@1); }
        | basic { $$ = expr_new(ls, EXPR_TYPE, 0, NULL, NULL, &@1); $$->type = $1; }
        | tENUM tIDENT { $$ = expr_new(ls, EXPR_TYPE, 0, NULL, NULL, &@1);
                $$->type = tagged(ls, TYPE_ENUM, $2, NULL, false, &@2); }
        ;

/* --- types --- */

type:   type_nq { $$ = $1; }
        | tCONST type_nq { $$ = const_of(ls, $2); }
        | type_nq tCONST { $$ = const_of(ls, $1); }
        | tCONST type_nq tCONST { $$ = const_of(ls, $2); }
        ;

type_nq: basic { $$ = $1; }
        | tVOID { $$ = idl_type_new(CTX, TYPE_VOID, &@1); }
        | tIDENT { $$ = idl_type_new(CTX, TYPE_NAMEREF, &@1); $$->name = $1; }
        | struct_type { $$ = $1; }
        | union_type { $$ = $1; }
        | enum_type { $$ = $1; }
        | tSAFEARRAY '(' type ')' {
                /* widl's SAFEARRAY(T): a SAFEARRAY pointer on the C side */
                struct idl_type *sa = idl_type_new(CTX, TYPE_NAMEREF, &@1);
                sa->name = "SAFEARRAY";
                $$ = idl_type_new(CTX, TYPE_POINTER, &@1);
                $$->ref = sa;
                $$->sa_elem = $3;       /* the element type, for type libraries */
                $$->attrs = NULL; }
        ;

basic:  int_kw { $$ = $1; }
        | tSIGNED int_kw { $$ = signed_basic(ls, $2, SIGN_SIGNED); }
        | tUNSIGNED int_kw { $$ = signed_basic(ls, $2, SIGN_UNSIGNED); }
        | tSIGNED { $$ = basic(ls, BASIC_INT, SIGN_SIGNED, &@1); }
        | tUNSIGNED { $$ = basic(ls, BASIC_INT, SIGN_UNSIGNED, &@1); }
        | tBOOLEAN { $$ = basic(ls, BASIC_BOOLEAN, SIGN_NONE, &@1); }
        | tBYTE { $$ = basic(ls, BASIC_BYTE, SIGN_NONE, &@1); }
        | tFLOATKW { $$ = basic(ls, BASIC_FLOAT, SIGN_NONE, &@1); }
        | tDOUBLE { $$ = basic(ls, BASIC_DOUBLE, SIGN_NONE, &@1); }
        | tWCHAR { $$ = basic(ls, BASIC_WCHAR, SIGN_NONE, &@1); }
        | tHANDLE { $$ = basic(ls, BASIC_HANDLE, SIGN_NONE, &@1); }
        | tERRSTATUS { $$ = basic(ls, BASIC_ERROR_STATUS, SIGN_NONE, &@1); }
        ;

int_kw: tCHARKW { $$ = basic(ls, BASIC_CHAR, SIGN_NONE, &@1); }
        | tSMALL { $$ = basic(ls, BASIC_SMALL, SIGN_NONE, &@1); }
        | tSHORT { $$ = basic(ls, BASIC_SHORT, SIGN_NONE, &@1); }
        | tSHORT tINT { $$ = basic(ls, BASIC_SHORT, SIGN_NONE, &@1); }
        | tINT { $$ = basic(ls, BASIC_INT, SIGN_NONE, &@1); }
        | tLONG { $$ = basic(ls, BASIC_LONG, SIGN_NONE, &@1); }
        | tLONG tINT { $$ = basic(ls, BASIC_LONG, SIGN_NONE, &@1); }
        | tLONG tLONG { $$ = basic(ls, BASIC_HYPER, SIGN_NONE, &@1); }
        | tHYPER { $$ = basic(ls, BASIC_HYPER, SIGN_NONE, &@1); }
        | tHYPER tINT { $$ = basic(ls, BASIC_HYPER, SIGN_NONE, &@1); }
        | tINT3264 { $$ = basic(ls, BASIC_INT3264, SIGN_NONE, &@1); }
        | tINT64 { $$ = basic(ls, BASIC_INT64, SIGN_NONE, &@1); }
        | tINT32 { $$ = basic(ls, BASIC_INT, SIGN_NONE, &@1); }
        | tINT16 { $$ = basic(ls, BASIC_SHORT, SIGN_NONE, &@1); }
        | tINT8 { $$ = basic(ls, BASIC_SMALL, SIGN_NONE, &@1); }
        ;

struct_type: tSTRUCT tIDENT { $$ = tagged(ls, TYPE_STRUCT, $2, NULL, false, &@2); }
        | tSTRUCT ident_opt '{' fields '}' {
                $$ = tagged(ls, TYPE_STRUCT, $2, $4.head, true, &@1); }
        ;

union_type: tUNION tIDENT { $$ = tagged(ls, TYPE_UNION, $2, NULL, false, &@2); }
        | tUNION ident_opt '{' fields '}' {
                $$ = tagged(ls, TYPE_UNION, $2, $4.head, true, &@1); }
        | tUNION ident_opt tSWITCH '(' type tIDENT ')' ident_opt '{' fields '}' {
                $$ = tagged(ls, TYPE_ENCAP_UNION, $2, $10.head, true, &@1);
                $$->switch_field = idl_alloc(CTX, sizeof *$$->switch_field);
                $$->switch_field->type = $5;
                $$->switch_field->name = $6;
                $$->switch_field->loc = @6;
                $$->union_name = $8 ? $8 : "tagged_union"; }
        ;

enum_type: tENUM tIDENT { $$ = tagged(ls, TYPE_ENUM, $2, NULL, false, &@2); }
        | tENUM ident_opt '{' enum_list comma_opt '}' {
                $$ = tagged(ls, TYPE_ENUM, $2, $4, true, &@1); }
        ;

comma_opt: %empty | ',' ;

enum_list: %empty { $$ = NULL; }
        | enum_item { $$ = $1; }
        | enum_list ',' enum_item {
                if (!$1) {
                        $$ = $3;
                } else {
                        struct idl_field *p = $1;
                        while (p->next)
                                p = p->next;
                        p->next = $3;
                        $$ = $1;
                } }
        ;

enum_item: attrs_opt tIDENT {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->name = $2;
                $$->attrs = $1;
                $$->loc = @2; }
        | attrs_opt tIDENT '=' expr {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->name = $2;
                $$->attrs = $1;
                $$->value = $4;
                $$->loc = @2; }
        ;

ident_opt: %empty { $$ = NULL; }
        | tIDENT { $$ = $1; }
        ;

fields: %empty { $$.head = NULL; $$.tail = &$$.head; }
        | fields field {
                $$ = $1;
                *$$.tail = $2;
                while (*$$.tail)
                        $$.tail = &(*$$.tail)->next; }
        ;

field:  field_body { $$ = $1; }
        | case_labels field_body {
                $$ = $2;
                if (!$$) {
                        $$ = idl_alloc(CTX, sizeof *$$);
                        $$->loc = @1;
                }
                for (size_t i = 0; i < $1.n; i++) {
                        if ($1.v[i])
                                $$->cases = vec_push(ls, (void **)$$->cases, $$->n_cases++,
                                                     $1.v[i]);
                        else
                                $$->is_default = true;
                } }
        ;

case_labels: case_label {
                $$.v = NULL;
                $$.n = 0;
                $$.v = vec_push(ls, (void **)$$.v, $$.n++, $1); }
        | case_labels case_label { $$ = $1; $$.v = vec_push(ls, (void **)$$.v, $$.n++, $2); }
        ;

case_label: tCASE expr ':' { $$ = $2; }
        | tDEFAULT ':' { $$ = NULL; }
        ;

field_body: attrs_opt type member_list ';' { $$ = member_fields(ls, $1, $2, &$3); }
        | attrs_opt type ';' {
                /* anonymous struct/union member */
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->type = $2;
                $$->attrs = $1;
                $$->loc = @2; }
        | attrs_opt ';' {
                /* empty union arm */
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->attrs = $1;
                $$->loc = @2; }
        ;

/* --- declarators --- */

member_list: member_decl { $$.v = NULL; $$.n = 0; DECL_PUSH($$, $1); }
        | member_list ',' member_decl { $$ = $1; DECL_PUSH($$, $3); }
        ;

member_decl: declarator { $$ = $1; }
        | declarator ':' expr {
                $$ = decl_new(ls, 'b', $1, &@2);
                $$->bits = $3; }
        ;

declarator_list: declarator { $$.v = NULL; $$.n = 0; DECL_PUSH($$, $1); }
        | declarator_list ',' declarator { $$ = $1; DECL_PUSH($$, $3); }
        ;

declarator: '*' declarator { $$ = decl_new(ls, '*', $2, &@1); }
        | '*' tCONST declarator { $$ = decl_new(ls, '*', $3, &@1); $$->is_const = true; }
        | tCALLCONV declarator { $$ = $2; }
        | direct_decl { $$ = $1; }
        ;

direct_decl: tIDENT { $$ = decl_new(ls, 'i', NULL, &@1); $$->name = $1; }
        | '(' declarator ')' { $$ = $2; }
        | direct_decl '[' expr_opt ']' {
                /* d[n]: the array applies before what encloses d */
                struct idl_decl *a = decl_new(ls, '[', NULL, &@2);
                a->size = $3;
                a->inner = $1;
                $$ = a; }
        | direct_decl '(' params ')' {
                struct idl_decl *f = decl_new(ls, '(', $1, &@2);
                f->params = $3;
                $$ = f; }
        ;

expr_opt: %empty { $$ = NULL; }
        | '*' { $$ = NULL; }
        | expr { $$ = $1; }
        ;

params: %empty { $$ = NULL; }
        | param_list {
                $$ = $1;
                if (!$1->next && !$1->name && $1->type->kind == TYPE_VOID)
                        $$ = NULL;      /* (void) */ }
        ;

param_list: param { $$ = $1; }
        | param_list ',' param {
                struct idl_field *p = $1;
                while (p->next)
                        p = p->next;
                p->next = $3;
                $$ = $1; }
        ;

param:  attrs_opt type abs_declarator_opt {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->loc = @2;
                $$->type = apply(ls, $2, $3, &$$->name, &$$->loc);
                $$->attrs = $1; }
        | attrs_opt type declarator {
                $$ = idl_alloc(CTX, sizeof *$$);
                $$->loc = @3;
                $$->type = apply(ls, $2, $3, &$$->name, &$$->loc);
                $$->attrs = $1; }
        ;

abs_declarator_opt: %empty { $$ = NULL; }
        | abs_declarator { $$ = $1; }
        ;

abs_declarator: '*' { $$ = decl_new(ls, '*', NULL, &@1); }
        | '*' tCONST { $$ = decl_new(ls, '*', NULL, &@1); $$->is_const = true; }
        | '*' abs_declarator { $$ = decl_new(ls, '*', $2, &@1); }
        | '*' tCONST abs_declarator { $$ = decl_new(ls, '*', $3, &@1); $$->is_const = true; }
        | direct_abs { $$ = $1; }
        ;

direct_abs: '[' expr_opt ']' { $$ = decl_new(ls, '[', NULL, &@1); $$->size = $2; }
        | direct_abs '[' expr_opt ']' {
                struct idl_decl *a = decl_new(ls, '[', $1, &@2);
                a->size = $3;
                $$ = a; }
        ;

init_opt: %empty { $$ = NULL; }
        | '=' expr { $$ = $2; }
        ;

/* --- expressions --- */

expr:   tNUM { $$ = expr_str(ls, EXPR_NUM, $1, &@1); }
        | tFLOAT { $$ = expr_str(ls, EXPR_FLOAT, $1, &@1); }
        | string { $$ = expr_str(ls, EXPR_STRING, $1, &@1); }
        | tWSTRING { $$ = expr_str(ls, EXPR_WSTRING, $1, &@1); }
        | tCHAR { $$ = expr_str(ls, EXPR_CHAR, $1, &@1); }
        | tIDENT { $$ = expr_str(ls, EXPR_IDENT, $1, &@1); }
        | '(' expr ')' { $$ = expr_new(ls, EXPR_PAREN, 0, $2, NULL, &@1); }
        | paren_ident { $$ = $1; }
        | tPTRCAST expr %prec CAST {
                $$ = expr_new(ls, EXPR_CAST, 0, $2, NULL, &@1);
                $$->type = ptr_cast_type(ls, $1, &@1); }
        | paren_ident cast_operand %prec CAST {
                /* (NAME) operand: a cast to a typedef name */
                $$ = expr_new(ls, EXPR_CAST, 0, $2, NULL, &@1);
                $$->type = idl_type_new(CTX, TYPE_NAMEREF, &$1->a->loc);
                $$->type->name = $1->a->str; }
        | '-' expr %prec NEG { $$ = expr_new(ls, EXPR_UNARY, '-', $2, NULL, &@1); }
        | '+' expr %prec NEG { $$ = expr_new(ls, EXPR_UNARY, '+', $2, NULL, &@1); }
        | '~' expr { $$ = expr_new(ls, EXPR_UNARY, '~', $2, NULL, &@1); }
        | '!' expr { $$ = expr_new(ls, EXPR_UNARY, '!', $2, NULL, &@1); }
        | '*' expr %prec NEG { $$ = expr_new(ls, EXPR_UNARY, '*', $2, NULL, &@1); }
        | '&' expr %prec NEG { $$ = expr_new(ls, EXPR_UNARY, '&', $2, NULL, &@1); }
        | tSIZEOF '(' type abs_declarator_opt ')' {
                $$ = expr_new(ls, EXPR_SIZEOF, 0, NULL, NULL, &@1);
                const char *n = NULL;
                struct idl_loc l = @3;
                $$->type = apply(ls, $3, $4, &n, &l); }
        | '(' basic abs_declarator_opt ')' expr %prec CAST {
                $$ = expr_new(ls, EXPR_CAST, 0, $5, NULL, &@1);
                const char *n = NULL;
                struct idl_loc l = @2;
                $$->type = apply(ls, $2, $3, &n, &l); }
        | expr '+' expr { $$ = expr_new(ls, EXPR_BINARY, '+', $1, $3, &@2); }
        | expr '-' expr { $$ = expr_new(ls, EXPR_BINARY, '-', $1, $3, &@2); }
        | expr '*' expr { $$ = expr_new(ls, EXPR_BINARY, '*', $1, $3, &@2); }
        | expr '/' expr { $$ = expr_new(ls, EXPR_BINARY, '/', $1, $3, &@2); }
        | expr '%' expr { $$ = expr_new(ls, EXPR_BINARY, '%', $1, $3, &@2); }
        | expr '&' expr { $$ = expr_new(ls, EXPR_BINARY, '&', $1, $3, &@2); }
        | expr '|' expr { $$ = expr_new(ls, EXPR_BINARY, '|', $1, $3, &@2); }
        | expr '^' expr { $$ = expr_new(ls, EXPR_BINARY, '^', $1, $3, &@2); }
        | expr '<' expr { $$ = expr_new(ls, EXPR_BINARY, '<', $1, $3, &@2); }
        | expr '>' expr { $$ = expr_new(ls, EXPR_BINARY, '>', $1, $3, &@2); }
        | expr tSHL expr { $$ = expr_new(ls, EXPR_BINARY, 'L', $1, $3, &@2); }
        | expr tSHR expr { $$ = expr_new(ls, EXPR_BINARY, 'R', $1, $3, &@2); }
        | expr tEQ expr { $$ = expr_new(ls, EXPR_BINARY, 'E', $1, $3, &@2); }
        | expr tNE expr { $$ = expr_new(ls, EXPR_BINARY, 'N', $1, $3, &@2); }
        | expr tLE expr { $$ = expr_new(ls, EXPR_BINARY, 'l', $1, $3, &@2); }
        | expr tGE expr { $$ = expr_new(ls, EXPR_BINARY, 'g', $1, $3, &@2); }
        | expr tAND expr { $$ = expr_new(ls, EXPR_BINARY, 'A', $1, $3, &@2); }
        | expr tOR expr { $$ = expr_new(ls, EXPR_BINARY, 'O', $1, $3, &@2); }
        | expr '.' tIDENT { $$ = expr_new(ls, EXPR_BINARY, '.', $1,
                                         expr_str(ls, EXPR_IDENT, $3, &@3), &@2); }
        | expr tARROW tIDENT { $$ = expr_new(ls, EXPR_BINARY, 'P', $1,
                                            expr_str(ls, EXPR_IDENT, $3, &@3), &@2); }
        | expr '[' expr ']' { $$ = expr_new(ls, EXPR_INDEX, 0, $1, $3, &@2); }
        | expr '?' expr ':' expr {
                $$ = expr_new(ls, EXPR_TERNARY, '?', $1, $3, &@2);
                $$->c = $5; }
        ;

paren_ident: '(' tIDENT ')' {
                $$ = expr_new(ls, EXPR_PAREN, 0, expr_str(ls, EXPR_IDENT, $2, &@2), NULL, &@1); }
        ;

cast_operand: tNUM { $$ = expr_str(ls, EXPR_NUM, $1, &@1); }
        | tIDENT { $$ = expr_str(ls, EXPR_IDENT, $1, &@1); }
        | '(' expr ')' { $$ = expr_new(ls, EXPR_PAREN, 0, $2, NULL, &@1); }
        | paren_ident { $$ = $1; }
        | '~' cast_operand { $$ = expr_new(ls, EXPR_UNARY, '~', $2, NULL, &@1); }
        | '!' cast_operand { $$ = expr_new(ls, EXPR_UNARY, '!', $2, NULL, &@1); }
        ;

%%

static void idl_yyerror(struct idl_loc *loc, void *scanner, struct idl_lexstate *ls,
                        const char *msg) {
        (void)scanner;
        idl_error(ls->ctx, loc, "%s", msg);
}
