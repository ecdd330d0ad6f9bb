// The saved user registers (struct trapframe), and the checks on register values that
// come from outside the CPU: a tracer's writes, a signal frame (regs.c).
#pragma once
#include "types.h"
#include "x86.h"

// The one saved-register frame. Every entry from user mode (syscall, exception, IRQ)
// saves all user registers here, at the top of the process's kernel stack. The layout is
// exactly Linux's struct user_regs_struct, which proc:PID/regs/int exposes unchanged.
// rip..ss are where the CPU pushes its interrupt frame; orig_rax is where it pushes an
// error code; fs_base..gs are kept by the kernel (the CPU never pushes them).
struct trapframe {
  uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10; // 0 .. 56
  uint64_t r9, r8, rax, rcx, rdx, rsi, rdi;        // 64 .. 112
  uint64_t orig_rax;                               // 120: syscall number, or -1
  uint64_t rip, cs, rflags, rsp, ss;               // 128 .. 160: the iretq frame
  uint64_t fs_base, gs_base;                       // 168, 176
  uint64_t ds, es, fs, gs;                         // 184 .. 208
};
_Static_assert(sizeof(struct trapframe) == 216, "user_regs_struct is 216 bytes");
_Static_assert(__builtin_offsetof(struct trapframe, orig_rax) == TF_ORIG_RAX, "entry.S");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "entry.S");
_Static_assert(__builtin_offsetof(struct trapframe, rsp) == TF_RSP, "entry.S");
_Static_assert(__builtin_offsetof(struct trapframe, fs_base) == TF_HWTOP, "entry.S");

struct proc;
int regs_check(const struct trapframe *new, const struct trapframe *old);
int regs_set_int(struct proc *t, const void *buf);   // struct trapframe: regs_check'd
int regs_set_float(struct proc *t, const void *buf); // 512-byte FXSAVE image
int regs_set_debug(struct proc *t, const void *buf); // dr0..dr3, dr6, dr7
void fpu_init(void);
int fpu_check(const uint8_t *fx);
void fpu_flush(struct proc *p);
void fpu_dirty(struct proc *p);
#define DR6_WRITABLE 0xe00full // B0..B3, BD, BS, BT: the rest read as 1 and are no state
int debugregs_check(const uint64_t v[6]);
void debugregs_load(struct proc *p);
void debugregs_sync(struct proc *p);
