// The proc: scheme's binary interface, shared by the kernel and user programs (regs,
// strace, gdbserver, the tests). docs/proc.md describes it.
#pragma once
#include <stdint.h>

// Write one uint64_t of these to proc:PID/trace: where to stop next. Values as Redox's.
#define PROC_STOP_PRE_SYSCALL 0x0001  // a = number, b..f = the first five arguments
#define PROC_STOP_POST_SYSCALL 0x0002 // a = number, b = return value
#define PROC_STOP_SINGLESTEP 0x0004   // after one instruction
#define PROC_STOP_SIGNAL 0x0008       // a = signal, b = handler (0 default, 1 ignore)
#define PROC_STOP_BREAKPOINT 0x0010   // int3; rip points at the int3 byte; a = rip
#define PROC_STOP_EXIT 0x0020         // a = wait status
#define PROC_STOP_EXEC 0x0040         // at the new program's first instruction
#define PROC_STOP_INTERRUPT 0x0080    // stopped on request (open with O_TRUNC, or this
                                      // flag written: "stop now"), or a followed child's
                                      // first stop; a = pid
#define PROC_EVENT_CLONE 0x0100       // a = child id, b = PROC_CLONE_THREAD or 0, c = its
                                      // process id; the child starts stopped
#define PROC_CLONE_THREAD 1           // (PROC_EVENT_CLONE's b) a thread of the same process
#define PROC_STOP_WATCH 0x0200        // a debug register fired: a = DR6
#define PROC_STOP_CLONE 0x10000      // the parent stops once it made a child: a = child
                                      // pid, b = clone flags (ptrace's fork events)
#define PROC_STOP_VFORK_DONE 0x20000  // a vfork parent stops as it runs again; a = child pid
#define PROC_FLAG_IGNORE 0x1000       // at resume: skip the syscall / drop the signal
#define PROC_STOP_GROUP 0x40000       // a stop signal's default action (a job-control stop)
                                      // becomes a trace stop; a = the signal
#define PROC_EVENT_EXITED 0x8000      // (read only) the tracee is gone; a = wait status
#define PROC_TRACE_FLAGS 0x713ff      // every bit a write may carry, but the signal below
// At resume from a signal stop: act on signal n (1..64) instead of the one stopped on.
#define PROC_RESUME_SIGNAL(n) ((uint64_t)(n) << 32)
#define PROC_RESUME_SIGNAL_OF(v) ((int)((v) >> 32 & 0xff))
#define PROC_RESUME_SIGNAL_MASK 0xff00000000ull

struct proc_event {
  uint64_t cause; // one PROC_STOP_* or PROC_EVENT_* value
  uint64_t a, b, c, d, e, f;
};
_Static_assert(sizeof(struct proc_event) == 56, "proc_event is 7 words");
