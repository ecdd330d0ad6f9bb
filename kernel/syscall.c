// System-call dispatch. The table is built from syscalls.def; numbers outside it, or
// holes in it, give -ENOSYS (never an index past the end, whatever a tracer wrote).
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "proc.h"
#include "regs.h"
#include "syscall.h"
#include "trace.h"
#include "trap.h"
#include "x86.h"
#include <vitrine/procabi.h>

struct syscall_entry {
  const char *name;
  long (*fn)(struct trapframe *tf);
};

static const struct syscall_entry table[] = {
#define SYSCALL(nr, name) [nr] = {#name, sys_##name},
#include <vitrine/syscalls.def>
#undef SYSCALL
};

// SYSRET is only safe for a frame that SYSCALL itself could have produced: otherwise a
// non-canonical rip would fault in kernel mode on Intel CPUs (CVE-2012-0217), and TF or
// RF would not be restored as they should. Anything else returns through IRETQ.
static bool sysret_ok(const struct trapframe *tf) {
  return tf->rip == tf->rcx && tf->rip < USER_TOP && tf->r11 == tf->rflags &&
         tf->cs == USER_CS && tf->ss == USER_DS && !(tf->rflags & (FL_TF | FL_RF));
}

// Run system call nr: its result goes to rax.
static void run(struct trapframe *tf, uint64_t nr) {
  tf->rax = nr < ARRAY_SIZE(table) && table[nr].fn ? table[nr].fn(tf) : -ENOSYS;
}

// A traced process's call runs between the stops its tracer asked for (trace.h).
long syscall_dispatch(struct trapframe *tf) {
  struct tracee *t = &myproc()->tracee;
  uint64_t nr = tf->orig_rax;
  if (trace_attached(t)) {
    trace_syscall(t, tf, nr, run);
  } else {
    run(tf, nr);
    if (trace_attached(t)) // a tracer came while the call blocked: it sees the exit
      trace_syscall_done(t, tf, nr);
  }
  if (usertrapret_due(myproc()))
    usertrapret();
  return sysret_ok(tf);
}
