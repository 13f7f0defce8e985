/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's C calling convention for calls through a vtable whose signature is known
 * only at run time (a type description), both ways:
 *   - oa_call_*: arguments placed as the callee's prototype would have them, then one
 *     call (ITypeInfo::Invoke in dispinvoke.c, the type-library marshaler's stub in
 *     tmarshal.c);
 *   - oa_frame_*: the arguments a caller placed, read back from the registers and stack
 *     a thunk captured (the type-library marshaler's proxy).
 * x86-64 System V and AArch64 (AAPCS64); elsewhere OA_HAVE_CALL is 0 and the callers
 * answer E_NOTIMPL.
 */
#include <string.h>

#include "oleaut/typelib-internal.h"

static void push_stack(struct oa_call *c, uint64_t w) {
        if (c->ns < OA_CALL_STACK)
                c->stack[c->ns++] = w;
        else
                c->overflow = true;
}

void oa_call_push_stack(struct oa_call *c, uint64_t w) {
        push_stack(c, w);
}

void oa_call_push_int(struct oa_call *c, uint64_t w) {
#if OA_HAVE_CALL
        if (c->ni < OA_INT_REGS) {
                c->ints[c->ni++] = w;
                return;
        }
#endif
        push_stack(c, w);
}

/* A float travels in the low 32 bits of a vector register (or a stack slot). */
void oa_call_push_fp(struct oa_call *c, uint64_t bits) {
        if (c->nf < OA_FP_REGS) {
                memcpy(&c->fps[c->nf++], &bits, sizeof bits);
                return;
        }
        push_stack(c, bits);
}

/*
 * A 16-byte struct of integers (DECIMAL): two registers, or both words on the stack.
 * x86-64 ([SysV ABI] 3.2.3): the registers left stay for later arguments; AArch64
 * (AAPCS64 C.13): none is used after it.
 */
void oa_call_push_pair(struct oa_call *c, const void *p) {
        uint64_t w[2];

        memcpy(w, p, sizeof w);
#if OA_HAVE_CALL
        if (c->ni + 2 <= OA_INT_REGS) {
                c->ints[c->ni++] = w[0];
                c->ints[c->ni++] = w[1];
                return;
        }
#if defined(__aarch64__)
        c->ni = OA_INT_REGS;
#endif
#endif
        push_stack(c, w[0]);
        push_stack(c, w[1]);
}

#if OA_HAVE_CALL
#define STACK_PARAMS                                                                               \
        uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,  \
                uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,    \
                uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,    \
                uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#if OA_INT_REGS == 6
#define INT_PARAMS  uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define INT_ARGS(c) c->ints[0], c->ints[1], c->ints[2], c->ints[3], c->ints[4], c->ints[5]
#else
#define INT_PARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define INT_ARGS(c)                                                                                \
        c->ints[0], c->ints[1], c->ints[2], c->ints[3], c->ints[4], c->ints[5], c->ints[6],        \
                c->ints[7]
#endif
#define FP_PARAMS double, double, double, double, double, double, double, double
#define FP_ARGS(c)                                                                                 \
        c->fps[0], c->fps[1], c->fps[2], c->fps[3], c->fps[4], c->fps[5], c->fps[6], c->fps[7]
#define STACK_ARGS(c)                                                                              \
        c->stack[0], c->stack[1], c->stack[2], c->stack[3], c->stack[4], c->stack[5], c->stack[6], \
                c->stack[7], c->stack[8], c->stack[9], c->stack[10], c->stack[11], c->stack[12],   \
                c->stack[13], c->stack[14], c->stack[15], c->stack[16], c->stack[17],              \
                c->stack[18], c->stack[19], c->stack[20], c->stack[21], c->stack[22],              \
                c->stack[23], c->stack[24], c->stack[25], c->stack[26], c->stack[27],              \
                c->stack[28], c->stack[29], c->stack[30], c->stack[31]

/*
 * Every integer register, every vector register and 32 stack words are passed: the
 * callee takes its own arguments from them as its prototype says, the rest is ignored
 * (the caller pops the stack in both ABIs).
 */
typedef uint64_t (*fn_int)(INT_PARAMS, FP_PARAMS, STACK_PARAMS);
typedef double (*fn_double)(INT_PARAMS, FP_PARAMS, STACK_PARAMS);
typedef float (*fn_float)(INT_PARAMS, FP_PARAMS, STACK_PARAMS);
/* a 16-byte composite of integers (DECIMAL): rax:rdx, x0:x1 */
struct oa_pair {
        uint64_t lo, hi;
};
typedef struct oa_pair (*fn_pair)(INT_PARAMS, FP_PARAMS, STACK_PARAMS);

void oa_call_run(void *fn, struct oa_call *c, VARTYPE ret_vt, VARIANT *ret) {
        switch (ret_vt) {
        case VT_R4: {
                fn_float f;
                memcpy(&f, &fn, sizeof f);
                V_R4(ret) = f(INT_ARGS(c), FP_ARGS(c), STACK_ARGS(c));
                break;
        }
        case VT_R8:
        case VT_DATE: {
                fn_double f;
                memcpy(&f, &fn, sizeof f);
                V_R8(ret) = f(INT_ARGS(c), FP_ARGS(c), STACK_ARGS(c));
                break;
        }
        case VT_DECIMAL: {
                fn_pair f;
                memcpy(&f, &fn, sizeof f);
                struct oa_pair p = f(INT_ARGS(c), FP_ARGS(c), STACK_ARGS(c));
                _Static_assert(sizeof p == sizeof(DECIMAL), "DECIMAL is 16 bytes");
                memcpy(&V_DECIMAL(ret), &p, sizeof p);  /* its first word is V_VT's place */
                break;
        }
        default: {
                fn_int f;
                memcpy(&f, &fn, sizeof f);
                V_UI8(ret) = f(INT_ARGS(c), FP_ARGS(c), STACK_ARGS(c));
                break;
        }
        }
        V_VT(ret) = ret_vt;
}
#else
void oa_call_run(void *fn, struct oa_call *c, VARTYPE ret_vt, VARIANT *ret) {
        (void)fn;
        (void)c;
        V_UI8(ret) = 0;
        V_VT(ret) = ret_vt;
}
#endif

/* --- reading a captured frame ------------------------------------------------------------ */

static const void *frame_stack(struct oa_frame *f, size_t words) {
        const uint64_t *p = f->stack + f->ns;

        f->ns += words;
        return p;
}

uint64_t oa_frame_int(struct oa_frame *f) {
#if OA_HAVE_CALL
        if (f->ni < OA_INT_REGS)
                return f->ints[f->ni++];
#endif
        return *(const uint64_t *)frame_stack(f, 1);
}

uint64_t oa_frame_fp(struct oa_frame *f) {
        uint64_t bits;

        if (f->nf < OA_FP_REGS) {
                memcpy(&bits, &f->fps[f->nf++], sizeof bits);
                return bits;
        }
        memcpy(&bits, frame_stack(f, 1), sizeof bits);
        return bits;
}

void oa_frame_pair(struct oa_frame *f, void *dst) {
        uint64_t w[2];

#if OA_HAVE_CALL
        if (f->ni + 2 <= OA_INT_REGS) {
                w[0] = f->ints[f->ni++];
                w[1] = f->ints[f->ni++];
                memcpy(dst, w, sizeof w);
                return;
        }
#if defined(__aarch64__)
        f->ni = OA_INT_REGS;
#endif
#endif
        memcpy(dst, frame_stack(f, 2), 16);
}

const VARIANT *oa_frame_variant(struct oa_frame *f) {
#if OA_VARIANT_BY_REFERENCE
        return (const VARIANT *)(uintptr_t)oa_frame_int(f);
#else
        return frame_stack(f, sizeof(VARIANT) / 8);
#endif
}
