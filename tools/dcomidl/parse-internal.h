/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Glue between the flex scanner, the bison parser and parse.c: the scanner's state
 * (current file and position) and the helpers the generated code calls.
 */
#ifndef DCOMIDL_PARSE_INTERNAL_H
#define DCOMIDL_PARSE_INTERNAL_H

#include "idl.h"

struct idl_lexstate {
        struct idl_ctx *ctx;
        const char *file;
        int line, col;
        bool imported;
        struct idl_stmt *stmts, **tail;         /* what the parse produced */
};

/* Parser-private declarator: applied to a base type by parser.y's apply(). */
struct idl_decl {
        int kind;               /* 'i' identifier, '*' pointer, '[' array, '(' function */
        const char *name;
        bool is_const;          /* `* const` */
        struct idl_expr *size;  /* arrays; NULL conformant */
        struct idl_expr *bits;  /* struct members: bit-field width */
        struct idl_field *params;
        struct idl_decl *inner;
        struct idl_loc loc;
};

/* Lists built bottom-up in the grammar. */
struct idl_stmt_list { struct idl_stmt *head, **tail; };
struct idl_field_list { struct idl_field *head, **tail; };
struct idl_decl_list { struct idl_decl **v; size_t n; };
struct idl_expr_list { struct idl_expr **v; size_t n; };

int idl_keyword(const char *s);
void idl_line_marker(struct idl_lexstate *ls, const char *text);
_Noreturn void idl_lex_fatal(const char *msg);

#endif /* DCOMIDL_PARSE_INTERNAL_H */
