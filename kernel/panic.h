// Giving up (panic.c): broken invariants, register dumps, leaving QEMU.
#pragma once
#include "types.h"

struct trapframe;
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_trap(const struct trapframe *tf, uint64_t vec) __attribute__((noreturn));
void dump_regs(const struct trapframe *tf);
void backtrace(uint64_t rbp);
void debugcon_write(const char *s);
void qemu_exit(int code) __attribute__((noreturn));
#define assert(x) ((x) ? (void)0 : panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__))
