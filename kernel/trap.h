// Interrupts and exceptions (trap.c), and the way back to user mode.
#pragma once
#include "types.h"
#include "errno.h"
#include "proc.h"
#include "regs.h"
#include "trace.h"

struct trapframe;
void trap_init(void);
void trap(uint64_t vec, struct trapframe *tf); // every stub in entry.S calls it
void usertrapret(void);
// Has usertrapret anything to do for p (a switch due, a signal, a restart, a tracer's
// interruption, debug registers to sync)? Inline, so that a system call's way out
// skips the call when not (make bench's getppid and futex rows).
extern bool need_resched;
static inline bool usertrapret_due(const struct proc *p) {
  return need_resched || p->killed || (p->pending & ~p->blocked) || p->restore_mask ||
         trace_interrupt_pending(&p->tracee) || p->dr7 ||
         // rax from -ERESTART_RESTARTBLOCK to -ERESTARTSYS: one unsigned compare
         (uint64_t)p->tf->rax + ERESTART_RESTARTBLOCK <= ERESTART_RESTARTBLOCK - ERESTARTSYS;
}
// From an interrupt handler: switch at the interrupted process's return to user mode.
void trap_resched(void);
void debug_lost(void) __attribute__((noreturn)); // entry.S, when a #DB lost its frame
