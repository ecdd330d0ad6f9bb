/* Every way into and out of the kernel: interrupt/exception stubs, the SYSCALL entry,
   the two return paths (IRETQ always works; SYSRETQ only for frames syscall_dispatch
   has checked), and the kernel context switch. All entries build the same struct
   trapframe (proc.h); the comments give the byte offsets the pushes land at. */
#include "x86.h"

/* The callee-saved registers, in the order both the trapframe and swtch keep them. */
.macro PUSH_CALLEE_SAVED
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
.endm

.macro POP_CALLEE_SAVED
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
.endm

/* Push the rest of the frame below rdi: rsi (112) down to r15 (0). */
.macro SAVE_REST
  push %rsi
  push %rdx
  push %rcx
  push %rax
  push %r8
  push %r9
  push %r10
  push %r11
  PUSH_CALLEE_SAVED
.endm

.macro RESTORE_GPRS
  POP_CALLEE_SAVED
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rax
  pop %rcx
  pop %rdx
  pop %rsi
  pop %rdi
.endm

/* One stub per vector. Vectors without a CPU error code push a dummy so that the
   frame is the same shape; the slot becomes orig_rax (120). */
.macro VECTOR n
  .align 16
vector\n:
  .if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
  push $0
  .endif
  push %rdi                 /* 112 */
  mov $\n, %edi             /* first argument of trap() */
  .if \n == 1
  jmp debug_entry
  .else
  jmp alltraps
  .endif
.endm

.text
.globl vectors
vectors:
.altmacro
.set i, 0
.rept 256
  VECTOR %i
  .set i, i + 1
.endr

/* #DB runs on IST4 (trap.c says why). From user mode, move its frame to the process's
   kernel stack, where every other user entry puts it: then the frame is the process's
   trapframe, a tracer sees and changes it, and the process may sleep in a trace stop.
   The IST stack now holds: rdi, error code, rip, cs, rflags, rsp, ss. */
debug_entry:
  testb $3, 24(%rsp)
  jz alltraps               /* from the kernel: stay on IST4 (that path never sleeps) */
  push %rsi
  push %rcx
  mov kstack_tf_top(%rip), %rsi
  mov 64(%rsp), %rcx
  mov %rcx, -8(%rsi)        /* ss */
  mov 56(%rsp), %rcx
  mov %rcx, -16(%rsi)       /* rsp */
  mov 48(%rsp), %rcx
  mov %rcx, -24(%rsi)       /* rflags */
  mov 40(%rsp), %rcx
  mov %rcx, -32(%rsi)       /* cs */
  mov 32(%rsp), %rcx
  mov %rcx, -40(%rsi)       /* rip */
  mov 24(%rsp), %rcx
  mov %rcx, -48(%rsi)       /* error code: orig_rax */
  mov 16(%rsp), %rcx
  mov %rcx, -56(%rsi)       /* rdi */
  pop %rcx
  lea -56(%rsi), %rdi
  pop %rsi
  mov %rdi, %rsp            /* on the process's stack now, as if pushed there */
  mov $1, %edi
  jmp alltraps

alltraps:
  SAVE_REST
  mov %rsp, %rsi            /* trap(vector, tf) */
  cld
  call trap
.globl trapret
trapret:
  RESTORE_GPRS
  add $8, %rsp              /* orig_rax / error code */
  iretq

/* SYSCALL: rcx = user rip, r11 = user rflags, and FMASK has cleared IF, TF, DF, AC.
   We are on the user stack with user gs: no swapgs, because there is one CPU and the
   kernel finds its stack through a plain global (kstack_tf_top, cpu.c). */
.globl syscall_entry
syscall_entry:
  mov %rsp, user_rsp_scratch(%rip)
  mov kstack_tf_top(%rip), %rsp
  push $USER_DS             /* ss 160 */
  push user_rsp_scratch(%rip) /* rsp 152 */
  push %r11                 /* rflags 144 */
  push $USER_CS             /* cs 136 */
  push %rcx                 /* rip 128 */
  push %rax                 /* orig_rax 120 */
  push %rdi                 /* 112 */
  SAVE_REST
  mov %rsp, %rdi
  call syscall_dispatch     /* returns nonzero when SYSRET is safe for this frame */
  test %rax, %rax
  jz trapret
  RESTORE_GPRS              /* rcx == rip and r11 == rflags: checked by the dispatcher */
  mov TF_RSP - TF_ORIG_RAX(%rsp), %rsp
  sysretq

/* debug_abandon: leave the #DB stack for good, for the process's kernel stack (just
   below its trapframe), and end the process there: debug_lost() in trap.c says why. */
.globl debug_abandon
debug_abandon:
  mov kstack_tf_top(%rip), %rsp
  sub $TF_HWTOP, %rsp
  and $-16, %rsp
  call debug_lost
  ud2

/* forkret: where a new process's first swtch() lands; its kernel stack holds only the
   trapframe above this point. Like every return to user mode it goes through
   usertrapret() first: a child killed (or signalled) before it ever ran must not run. */
.globl forkret
forkret:
  call usertrapret
  jmp trapret

/* swtch(&old_rsp, new_rsp): save callee-saved registers on this stack, switch stacks,
   restore the other side's. */
.globl swtch
swtch:
  PUSH_CALLEE_SAVED
  mov %rsp, (%rdi)
  mov %rsi, %rsp
  POP_CALLEE_SAVED
  ret

/* user_load32(uaddr): the 32-bit word at user address uaddr of the current address
   space, read in place (zero-extended), or -1 if the read faults: trap() resumes a
   kernel page fault at user_load32_insn at user_load32_fault (an exception fixup, as
   Linux's get_user). FUTEX_WAIT reads its word so, instead of walking page tables. */
.globl user_load32, user_load32_insn, user_load32_fault
user_load32:
user_load32_insn:
  movl (%rdi), %eax
  ret
user_load32_fault:
  mov $-1, %rax
  ret

.data
user_rsp_scratch: .quad 0
.section .note.GNU-stack,"",@progbits
