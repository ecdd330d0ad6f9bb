// proctests, probes: instruction sequences with known addresses. Each starts with a
// getpid system call, the marker the tracer waits for (a syscall stop whose rip is the
// probe's label).
#include "proctests.h"

volatile unsigned char spin_flag; // spin_probe loops until a signal handler sets it

__asm__(".text\n"
        // The labels the other files use (proctests.h declares them).
        ".globl step_probe, step_a, step_b, step_c, step_d, step_e, step_end\n"
        ".globl flags_probe, flags_after, regs_probe, regs_after, gs_probe, gs_after\n"
        ".globl exit77_probe, bp_probe, bp_after, xmm_hold, spin_probe, spin_end\n"
        ".globl fork_probe, fork_syscall, fork_after, movss_probe, movss_int3\n"
        // uint64_t step_probe(void): single-step territory. Returns rflags as pushed
        // after the steps (TF must be clear). Instruction lengths: nop 1, inc %rdx 3,
        // mov $110,%eax 5, syscall 2.
        "step_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "step_a: nop\n"
        "step_b: inc %rdx\n"
        "step_c: mov $110, %eax\n"
        "step_d: syscall\n"
        "step_e: pushfq\n"
        "  pop %rax\n"
        "  ret\n"
        "step_end:\n"

        // uint64_t flags_probe(void): the rflags the tracer left at the marker's stop;
        // then sane flags again (DF and AC clear) before C code runs.
        "flags_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "flags_after:\n"
        "  pushfq\n"
        "  pop %rax\n"
        "  push $0x202\n"
        "  popfq\n"
        "  ret\n"

        // void regs_probe(uint64_t out[6]): rbx rbp r12..r15 as the tracer left them at
        // the marker's stop (they are zero before it).
        "regs_probe:\n"
        "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "  xor %ebx, %ebx; xor %ebp, %ebp; xor %r12d, %r12d\n"
        "  xor %r13d, %r13d; xor %r14d, %r14d; xor %r15d, %r15d\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "regs_after:\n"
        "  mov %rbx, 0(%rdi); mov %rbp, 8(%rdi); mov %r12, 16(%rdi)\n"
        "  mov %r13, 24(%rdi); mov %r14, 32(%rdi); mov %r15, 40(%rdi)\n"
        "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "  ret\n"

        // uint64_t gs_probe(void): the 8 bytes at %gs:0 once the tracer has set gs_base.
        "gs_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "gs_after:\n"
        "  mov %gs:0, %rax\n"
        "  ret\n"

        // Where a tracer sends a target: exit(77) without returning.
        "exit77_probe:\n"
        "  mov $60, %eax\n"
        "  mov $77, %edi\n"
        "  syscall\n"
        "  ud2\n"

        // int bp_probe(void): a breakpoint, then return 7.
        "bp_probe:\n"
        "  int3\n"
        "bp_after:\n"
        "  mov $7, %eax\n"
        "  ret\n"

        // void xmm_hold(const void *in, void *out, int fd): load xmm0..15 from in (256
        // bytes), block in read(fd, stack, 1) with them live, store them to out.
        "xmm_hold:\n"
        "  movdqu 0(%rdi), %xmm0; movdqu 16(%rdi), %xmm1; movdqu 32(%rdi), %xmm2\n"
        "  movdqu 48(%rdi), %xmm3; movdqu 64(%rdi), %xmm4; movdqu 80(%rdi), %xmm5\n"
        "  movdqu 96(%rdi), %xmm6; movdqu 112(%rdi), %xmm7; movdqu 128(%rdi), %xmm8\n"
        "  movdqu 144(%rdi), %xmm9; movdqu 160(%rdi), %xmm10; movdqu 176(%rdi), %xmm11\n"
        "  movdqu 192(%rdi), %xmm12; movdqu 208(%rdi), %xmm13; movdqu 224(%rdi), %xmm14\n"
        "  movdqu 240(%rdi), %xmm15\n"
        "  push %rsi\n"
        "  sub $8, %rsp\n"
        "  mov %edx, %edi\n"
        "  mov %rsp, %rsi\n"
        "  mov $1, %edx\n"
        "  xor %eax, %eax\n"
        "  syscall\n"
        "  add $8, %rsp\n"
        "  pop %rsi\n"
        "  movdqu %xmm0, 0(%rsi); movdqu %xmm1, 16(%rsi); movdqu %xmm2, 32(%rsi)\n"
        "  movdqu %xmm3, 48(%rsi); movdqu %xmm4, 64(%rsi); movdqu %xmm5, 80(%rsi)\n"
        "  movdqu %xmm6, 96(%rsi); movdqu %xmm7, 112(%rsi); movdqu %xmm8, 128(%rsi)\n"
        "  movdqu %xmm9, 144(%rsi); movdqu %xmm10, 160(%rsi); movdqu %xmm11, 176(%rsi)\n"
        "  movdqu %xmm12, 192(%rsi); movdqu %xmm13, 208(%rsi); movdqu %xmm14, 224(%rsi)\n"
        "  movdqu %xmm15, 240(%rsi)\n"
        "  ret\n"

        // uint64_t spin_probe(void): loop in user mode until spin_flag is set (by a
        // signal handler); return rflags.
        "spin_probe:\n"
        "1: cmpb $0, spin_flag(%rip)\n"
        "  je 1b\n"
        "  pushfq\n"
        "  pop %rax\n"
        "  ret\n"
        "spin_end:\n"

        // long fork_probe(void): the marker, then a second syscall instruction, which
        // the tracer makes a fork (rax = 57) while stepping. Only run under a tracer.
        "fork_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "fork_syscall:\n"
        "  syscall\n"
        "fork_after:\n"
        "  ret\n"

        // void movss_probe(const uint16_t *sel): MOV SS from watched memory, each
        // followed by an instruction that enters the kernel (CVE-2018-8897).
        "movss_probe:\n"
        "  mov $39, %eax\n"
        "  mov (%rdi), %ss\n"
        "  syscall\n"
        "  mov (%rdi), %ss\n"
        "movss_int3:\n"
        "  int3\n"
        "  ret\n");

__attribute__((noinline)) void *main_addr(void) { return (void *)main_addr; }

// A function the breakpoint tests patch: opaque enough that calls are not folded.
__attribute__((noinline, used)) int poke_target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3 + 1;
}

// A function never called: its text is overwritten in a target.
__attribute__((noinline, used)) int never_called(int x) {
  __asm__ volatile("" ::: "memory");
  return x ^ 0x5a5a;
}
