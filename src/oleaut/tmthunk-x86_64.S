/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The type-library marshaler's proxy thunks (tmarshal.c), x86-64 System V: slot i of a
 * typelib-built proxy vtable is oa_tm_thunks + 16 * i, which loads i and jumps to one
 * common part.  That saves the six integer argument registers and the low 64 bits of
 * xmm0-xmm7 in a frame and calls
 *     uint64_t oa_tm_proxy_call(const uint64_t regs[6 + 8], uint32_t slot,
 *                               const uint64_t *stack_args)
 * whose result goes back in rax (an HRESULT in eax).  The caller's stack arguments start
 * just above the return address.
 */
#if defined(__CET__)
/* built with -fcf-protection: this object too carries the IBT/SHSTK property note (every
   slot starts with endbr64, calls and returns pair), or the library would lose it */
#include <cet.h>
#endif
        .text
        .p2align 4
        .globl  oa_tm_thunks
        .hidden oa_tm_thunks
        .type   oa_tm_thunks, @function
oa_tm_thunks:
        .cfi_startproc
        .set    tm_slot, 0
        .rept   1024
        .p2align 4
        endbr64
        movl    $tm_slot, %eax
        jmp     tm_common
        .set    tm_slot, tm_slot + 1
        .endr
        .cfi_endproc
        .size   oa_tm_thunks, . - oa_tm_thunks

        .p2align 4
        .type   tm_common, @function
tm_common:
        .cfi_startproc
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register %rbp
        subq    $112, %rsp
        movq    %rdi, 0(%rsp)
        movq    %rsi, 8(%rsp)
        movq    %rdx, 16(%rsp)
        movq    %rcx, 24(%rsp)
        movq    %r8, 32(%rsp)
        movq    %r9, 40(%rsp)
        movq    %xmm0, 48(%rsp)
        movq    %xmm1, 56(%rsp)
        movq    %xmm2, 64(%rsp)
        movq    %xmm3, 72(%rsp)
        movq    %xmm4, 80(%rsp)
        movq    %xmm5, 88(%rsp)
        movq    %xmm6, 96(%rsp)
        movq    %xmm7, 104(%rsp)
        movq    %rsp, %rdi
        movl    %eax, %esi
        leaq    16(%rbp), %rdx
        call    oa_tm_proxy_call
        leave
        .cfi_def_cfa %rsp, 8
        ret
        .cfi_endproc
        .size   tm_common, . - tm_common

        .section .note.GNU-stack, "", @progbits
