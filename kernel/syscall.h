// System-call handlers: each takes the trapframe and reads its arguments from the
// registers of the Linux calling convention (rdi, rsi, rdx, r10, r8, r9), so a tracer
// that rewrote them at a syscall-entry stop is obeyed.
#pragma once
#include "types.h"
#include "regs.h"

long syscall_dispatch(struct trapframe *tf); // the system call in tf, from entry.S

// The path argument of an *at() call, copied in and made absolute (or left
// scheme-qualified) into out (PATH_MAX_K bytes). empty_ok: AT_EMPTY_PATH allowed.
int user_path_at(int dirfd, uint64_t upath, char *out, bool empty_ok);

#define ARG0 (tf->rdi)
#define ARG1 (tf->rsi)
#define ARG2 (tf->rdx)
#define ARG3 (tf->r10)
#define ARG4 (tf->r8)
#define ARG5 (tf->r9)

#define SYSCALL(nr, name) long sys_##name(struct trapframe *tf);
#include <vitrine/syscalls.def>
#undef SYSCALL
