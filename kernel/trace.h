// The trace engine: a tracing session (proc:PID/trace) and the safe points where a
// traced process stops. See docs/proc.md.
#pragma once
#include "proc.h"
#include <vitrine/procabi.h>

#define TRACE_QUEUE 64 // a power of two: the ring's indices wrap with a mask
_Static_assert((TRACE_QUEUE & (TRACE_QUEUE - 1)) == 0, "TRACE_QUEUE is a power of two");

struct trace {
  struct proc *target;      // NULL once the target has exited
  uint64_t flags;           // the stops asked for (PROC_STOP_*, PROC_EVENT_CLONE)
  bool kill_on_close;       // opened with O_EXCL
  bool exit_read;           // the PROC_EVENT_EXITED record has been read: ESRCH now
  struct proc_event q[TRACE_QUEUE]; // events not yet read, oldest first
  unsigned qhead, qlen;
  uint64_t sysset[8];       // syscall numbers that stop (bit set); all by default
  int nfrozen;              // children this session may hold (EVENT_CLONE); 0: none
  struct proc *reader;      // the tracer while it sleeps in trace_read, else NULL
  bool polled;              // someone has polled the session: events wake the pollers
};

// The tracer's side: a session is made by opening proc:PID/trace (procfs.c).
int trace_attach(struct proc *target, int flags, struct trace **out);
long trace_read(struct trace *t, uint64_t ubuf, size_t n, bool nonblock); // user buffers
long trace_write(struct trace *t, uint64_t ubuf, size_t n);
void trace_detach(struct trace *t);
int trace_poll(struct trace *t);
long trace_sysset_write(struct trace *t, const void *buf, size_t n);

// Which of the syscall stops (PROC_STOP_PRE_SYSCALL, PROC_STOP_POST_SYSCALL) p's session
// asks for at system call nr. Inline: it is asked on every system call of a traced
// process, and a call outside sysfilter must cost nearly nothing.
static inline uint64_t trace_syscall_stops(const struct proc *p, uint64_t nr) {
  const struct trace *t = p->trace;
  uint64_t want = t ? t->flags & (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL) : 0;
  if (want && nr < 512 && !(t->sysset[nr / 64] >> (nr % 64) & 1))
    return 0;
  return want;
}

// The safe points.
bool trace_syscall_enter(struct trapframe *tf);   // true: skip the call
void trace_syscall_exit(struct trapframe *tf, uint64_t nr, uint64_t stops);
bool trace_signal(int sig, uint64_t handler, const struct siginfo_k *info); // true: drop it
void trace_exit(int status);
void trace_clone(struct proc *child);
bool trace_debug_trap(struct trapframe *tf, uint64_t dr6); // #DB: true if consumed
bool trace_breakpoint(struct trapframe *tf);      // #BP: true if consumed
void trace_return_to_user(void);
void trace_signal_delivered(void);
