// System-call dispatch. The table is built from syscalls.def; numbers outside it, or
// holes in it, give -ENOSYS (never an index past the end, whatever a tracer wrote).
#include "syscall.h"
#include "trace.h"

struct syscall_entry {
  const char *name;
  long (*fn)(struct trapframe *tf);
};

static const struct syscall_entry table[] = {
#define SYSCALL(nr, name) [nr] = {#name, sys_##name},
#include <vitrine/syscalls.def>
#undef SYSCALL
};

const char *syscall_name(uint64_t nr) {
  return nr < ARRAY_SIZE(table) && table[nr].name ? table[nr].name : NULL;
}

// SYSRET is only safe for a frame that SYSCALL itself could have produced: otherwise a
// non-canonical rip would fault in kernel mode on Intel CPUs (CVE-2012-0217), and TF or
// RF would not be restored as they should. Anything else returns through IRETQ.
static bool sysret_ok(const struct trapframe *tf) {
  return tf->rip == tf->rcx && tf->rip < USER_TOP && tf->r11 == tf->rflags &&
         tf->cs == USER_CS && tf->ss == USER_DS && !(tf->rflags & (FL_TF | FL_RF));
}

static long call(struct trapframe *tf, uint64_t nr) {
  return nr < ARRAY_SIZE(table) && table[nr].fn ? table[nr].fn(tf) : -ENOSYS;
}

// A traced process's call, with the stops its tracer asked for around it.
static __attribute__((noinline)) void traced_call(struct proc *p, struct trapframe *tf) {
  uint64_t stops = trace_syscall_stops(p, tf->orig_rax), switches = p->nswitch;
  bool skip = (stops & PROC_STOP_PRE_SYSCALL) && trace_syscall_enter(tf);
  uint64_t nr = tf->orig_rax; // read after the stop: the tracer may have changed it
  if (!skip) // (skipped by the tracer: rax stays as the tracer left it)
    tf->rax = call(tf, nr);
  // The tracer can only have changed anything (armed the exit stop, changed the call or
  // the filter, detached) if it ran, and on one CPU it ran only if we gave up the CPU.
  if (p->nswitch != switches)
    stops = trace_syscall_stops(p, nr);
  if (stops || p->trace_step || p->exec_done)
    trace_syscall_exit(tf, nr, stops);
}

long syscall_dispatch(struct trapframe *tf) {
  struct proc *p = myproc();
  uint64_t nr = tf->orig_rax;
  if (p->trace_step || trace_syscall_stops(p, nr)) {
    traced_call(p, tf);
  } else { // not traced, or a call the session's sysfilter leaves out: no stop before it
    tf->rax = call(tf, nr);
    // An exit stop armed while the call blocked (a tracer attached, as on Linux, or
    // changed its flags), or the exec stop.
    if (p->trace && (trace_syscall_stops(p, nr) || p->exec_done))
      trace_syscall_exit(tf, nr, trace_syscall_stops(p, nr));
  }
  usertrapret();
  return sysret_ok(tf);
}
