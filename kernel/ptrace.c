// ptrace(2): Linux's tracing interface as a translation onto the trace engine
// (trace.c). A request becomes an engine operation (attach, resume with stop flags,
// request a stop, detach); a stop the engine queued becomes a wait status (ptrace_wait,
// from wait4). Registers go through regs.c's one check, memory through vm_copy, the
// permission rule is proc:'s (procfs_may_look). Nothing here stops, checks or copies on
// its own. See docs/ptrace.md.
#include "types.h"
#include "errno.h"
#include "lib.h"
#include "proc.h"
#include "procfs.h"
#include "ptrace.h"
#include "regs.h"
#include "signal.h"
#include "trace.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/procabi.h>
#include <vitrine/siginfo.h>

#define USER_SIZE 928       // sizeof the kernel's struct user (sys/user.h's, + 16)
#define USER_DEBUGREG 848   // offsetof(struct user, u_debugreg)
#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define AUDIT_ARCH_X86_64 0xc000003e
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

// ---- what the engine is asked for ----
// The stops every ptrace tracee has (signal and group stops), and those its options add.
static uint64_t base_stops(uint32_t o) {
  uint64_t s = PROC_STOP_SIGNAL | PROC_STOP_GROUP;
  if (o & PTRACE_O_TRACEEXEC)
    s |= PROC_STOP_EXEC;
  if (o & PTRACE_O_TRACEEXIT)
    s |= PROC_STOP_EXIT;
  if (o & (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE))
    s |= PROC_STOP_CLONE;
  if (o & PTRACE_O_TRACEVFORKDONE)
    s |= PROC_STOP_VFORK_DONE;
  return s;
}

// Which stops a resume request arms, beside the base ones. SYSEMU is an entry stop
// without an exit stop: the call is skipped on resume (resume_flags).
static uint64_t request_stops(long req) {
  switch (req) {
  case PTRACE_SYSCALL: return PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL;
  case PTRACE_SINGLESTEP: return PROC_STOP_SINGLESTEP;
  case PTRACE_SYSEMU: return PROC_STOP_PRE_SYSCALL;
  case PTRACE_SYSEMU_SINGLESTEP: return PROC_STOP_PRE_SYSCALL | PROC_STOP_SINGLESTEP;
  default: return 0;
  }
}

static bool sysemu_stop(const struct proc *t) {
  uint64_t s = t->tracee.stops & (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL);
  return trace_stop_cause(&t->tracee) == PROC_STOP_PRE_SYSCALL && s == PROC_STOP_PRE_SYSCALL;
}

// How the stop t is in ends, resumed with signal sig: at a signal stop the signal is
// replaced (0: dropped); at a SYSEMU entry stop the call is skipped; at a syscall stop
// a signal is sent, as Linux's does: by the kernel (SI_KERNEL, no sender; strace's
// -e inject=SET:signal= shows it).
static uint64_t resume_flags(struct proc *t, int sig) {
  uint64_t cause = trace_stop_cause(&t->tracee), v = 0;
  if (cause == PROC_STOP_SIGNAL)
    return sig ? PROC_RESUME_SIGNAL(sig) : PROC_FLAG_IGNORE;
  if (sysemu_stop(t))
    v = PROC_FLAG_IGNORE;
  if (sig && (cause == PROC_STOP_PRE_SYSCALL || cause == PROC_STOP_POST_SYSCALL)) {
    struct siginfo_k info = {.signo = sig, .code = SI_KERNEL};
    signal_send(t, &info);
  }
  return v;
}

// ---- finding the tracee ----
// The thread pid that the caller traces through ptrace; stopped: in a stop it may be
// changed in (not running, not listening). Linux's ptrace_check_attach: else ESRCH.
static struct proc *tracee_of(int pid, bool stopped) {
  struct proc *t = trace_owned_target(myproc(), pid); // (our sessions: no table search)
  if (!t || t->state == P_ZOMBIE)
    return NULL;
  if (stopped && (t->state != P_TRACED || t->tracee.listening))
    return NULL;
  return t;
}

// ---- attaching ----
static long traceme(void) {
  struct proc *me = myproc(), *parent = me->parent;
  struct trace *s;
  if (!parent || parent == me)
    return -EPERM;
  int r = trace_attach_owned(me, parent, 0, false, &s);
  if (r == 0)
    trace_set_stops(&me->tracee, base_stops(0));
  return r;
}

static long attach(int pid, bool seize, uint64_t addr, uint64_t options) {
  struct proc *me = myproc(), *t = pid > 0 ? proc_find(pid) : NULL;
  struct trace *s;
  if (seize && addr)
    return -EIO;
  if (seize && (options & ~(uint64_t)PTRACE_O_MASK))
    return -EIO;
  if (!t)
    return -ESRCH;
  if (t == me || t == initproc || t->state == P_ZOMBIE || !procfs_may_look(me, t))
    return -EPERM;
  int r = trace_attach_owned(t, me, seize ? options : 0, seize, &s);
  if (r < 0)
    return r;
  trace_set_stops(&t->tracee, base_stops(seize ? options : 0));
  if (t->state == P_STOPPED) { // job-stopped already: a group stop, reported now
    trace_take_job_stop(t, PROC_STOP_GROUP, t->stop_sig);
  } else if (!seize) {
    struct siginfo_k info = {.signo = SIGSTOP, .code = SI_USER, .pid = me->tgid, .uid = me->ruid};
    signal_send(t, &info);
  }
  return 0;
}

// ---- resuming ----
static long resume(struct proc *t, long req, uint64_t sig) {
  if (sig > NSIG)
    return -EIO;
  uint64_t v = base_stops(trace_options(&t->tracee)) | request_stops(req);
  trace_resume(t, v | resume_flags(t, sig));
  return 0;
}

static long detach(struct proc *t, uint64_t sig) {
  if (sig > NSIG)
    return -EIO;
  // (no stops: it runs as untraced; but one let go in a group stop that no SIGCONT
  // ended stays stopped, as Linux: trace_detach)
  if (sig || !t->tracee.job_stop)
    trace_resume(t, resume_flags(t, sig));
  trace_set_options(&t->tracee, 0); // (EXITKILL is for the tracer's exit only)
  trace_detach(trace_session(&t->tracee));
  return 0;
}

static long interrupt(struct proc *t) {
  if (!trace_seized(&t->tracee))
    return -EIO;
  if (t->state == P_TRACED && t->tracee.listening)
    trace_signal_sent(t); // a listening tracee reports again
  else if (t->state != P_TRACED)
    trace_request_stop(t);
  return 0;
}

static long listen(struct proc *t) {
  uint64_t cause = trace_stop_cause(&t->tracee);
  if (!trace_seized(&t->tracee) || (cause != PROC_STOP_GROUP && cause != PROC_STOP_INTERRUPT))
    return -EIO;
  trace_listen(t);
  return 0;
}

static long set_options(struct proc *t, uint64_t o) {
  if (o & ~(uint64_t)PTRACE_O_MASK)
    return -EINVAL;
  uint64_t keep = t->tracee.stops & (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL |
                                     PROC_STOP_SINGLESTEP);
  trace_set_options(&t->tracee, o);
  trace_set_stops(&t->tracee, base_stops(o) | keep);
  return 0;
}

// ---- memory: the one memory path (vm_copy, forced for writes as proc:PID/mem) ----
static long peek(struct proc *t, uint64_t addr, uint64_t data) {
  uint64_t w;
  if (!user_range_ok(addr, 8) || !t->vm || vm_copy(t->vm, addr, &w, 8, false, false) != 8)
    return -EIO;
  return copyout(data, &w, 8) < 0 ? -EFAULT : 0;
}

static long poke(struct proc *t, uint64_t addr, uint64_t w) {
  if (!user_range_ok(addr, 8) || !t->vm || vm_copy(t->vm, addr, &w, 8, true, true) != 8)
    return -EIO;
  return 0;
}

// ---- registers: regs.c's checks; refusals are Linux's EIO ----
// Linux keeps the flags a program may not change instead of refusing them.
static void keep_flags(struct trapframe *nf, const struct trapframe *old) {
  const uint64_t user = 0x40dd5; // CF PF AF ZF SF TF DF OF RF AC
  nf->rflags = (old->rflags & ~user) | (nf->rflags & user);
}

static long set_regs(struct proc *t, const struct trapframe *in) {
  struct trapframe nf = *in;
  keep_flags(&nf, t->tf);
  return regs_set_int(t, &nf) < 0 ? -EIO : 0;
}

static void debug_words(const struct proc *t, uint64_t v[6]) {
  v[0] = t->dr[0], v[1] = t->dr[1], v[2] = t->dr[2], v[3] = t->dr[3];
  v[4] = t->debug_dr6, v[5] = t->dr7;
}

static long peek_user(struct proc *t, uint64_t off, uint64_t data) {
  uint64_t w = 0, dr[6];
  if (off % 8 || off >= USER_SIZE)
    return -EIO;
  if (off < sizeof(struct trapframe)) {
    memcpy(&w, (char *)t->tf + off, 8);
  } else if (off >= USER_DEBUGREG) {
    unsigned n = (off - USER_DEBUGREG) / 8;
    debug_words(t, dr);
    w = n < 4 ? dr[n] : n == 6 ? dr[4] : n == 7 ? dr[5] : 0;
  }
  return copyout(data, &w, 8) < 0 ? -EFAULT : 0;
}

// DR7 as Linux's ptrace takes it: the exact-match (LE, GE) and reserved bits are
// ignored, a global enable enables, a disabled slot's type and length do not matter
// (gdb writes LE, and clears a slot's enable before its settings). The engine's check,
// proc:'s and strict, gets the value that means the same.
static uint64_t dr7_as_linux(uint64_t v) {
  uint64_t out = 0;
  for (int n = 0; n < 4; n++)
    if (v >> (2 * n) & 3)
      out |= 1ull << (2 * n) | (v & 0xfull << (16 + 4 * n));
  return out;
}

static long poke_user(struct proc *t, uint64_t off, uint64_t w) {
  uint64_t dr[6];
  if (off % 8 || off >= USER_SIZE)
    return -EIO;
  if (off < sizeof(struct trapframe)) {
    struct trapframe nf = *t->tf;
    memcpy((char *)&nf + off, &w, 8);
    return set_regs(t, &nf);
  }
  if (off < USER_DEBUGREG)
    return 0; // the rest of struct user is not writable: ignored, as Linux
  unsigned n = (off - USER_DEBUGREG) / 8;
  if (n == 4 || n == 5)
    return -EIO; // there are no DR4 and DR5
  debug_words(t, dr);
  dr[4] &= DR6_WRITABLE; // (as the CPU left it after a trap: Linux takes any DR6)
  dr[n < 4 ? n : n == 6 ? 4 : 5] = n == 7 ? dr7_as_linux(w) : n == 6 ? w & DR6_WRITABLE : w;
  return regs_set_debug(t, dr) < 0 ? -EINVAL : 0;
}

// GETREGSET/SETREGSET: an iovec at uiov; its length is cut to the set's size.
static long regset(struct proc *t, uint64_t type, uint64_t uiov, bool set) {
  struct { uint64_t base, len; } iov;
  uint8_t buf[512] __attribute__((aligned(16)));
  size_t size = type == NT_PRSTATUS ? sizeof(struct trapframe) : 512;
  if (type != NT_PRSTATUS && type != NT_PRFPREG)
    return -EINVAL;
  if (copyin(&iov, uiov, sizeof iov) < 0)
    return -EFAULT;
  if (iov.len % (type == NT_PRSTATUS ? 8 : 16))
    return -EINVAL;
  size_t n = MIN(iov.len, size);
  if (type == NT_PRFPREG)
    fpu_flush(t);
  memcpy(buf, type == NT_PRSTATUS ? (void *)t->tf : (void *)t->fpu, size);
  if (!set) {
    iov.len = n;
    if (copyout(iov.base, buf, n) < 0 || copyout(uiov, &iov, sizeof iov) < 0)
      return -EFAULT;
    return 0;
  }
  if (copyin(buf, iov.base, n) < 0)
    return -EFAULT;
  iov.len = n;
  long r = type == NT_PRSTATUS ? set_regs(t, (struct trapframe *)buf) : regs_set_float(t, buf);
  if (r == 0 && copyout(uiov, &iov, sizeof iov) < 0)
    return -EFAULT;
  return r;
}

static long fpregs(struct proc *t, uint64_t data, bool set) {
  uint8_t buf[512] __attribute__((aligned(16)));
  if (!set) {
    fpu_flush(t);
    return copyout(data, t->fpu, sizeof t->fpu) < 0 ? -EFAULT : 0;
  }
  if (copyin(buf, data, sizeof buf) < 0)
    return -EFAULT;
  return regs_set_float(t, buf);
}

static long arch_prctl(struct proc *t, uint64_t addr, uint64_t code) {
  struct trapframe nf = *t->tf;
  switch (code) {
  case ARCH_GET_FS: return copyout(addr, &t->tf->fs_base, 8) < 0 ? -EFAULT : 0;
  case ARCH_GET_GS: return copyout(addr, &t->tf->gs_base, 8) < 0 ? -EFAULT : 0;
  case ARCH_SET_FS:
  case ARCH_SET_GS:
    if (addr >= USER_TOP)
      return -EPERM;
    *(code == ARCH_SET_FS ? &nf.fs_base : &nf.gs_base) = addr;
    return regs_set_int(t, &nf) < 0 ? -EPERM : 0;
  }
  return -EINVAL;
}

// ---- signals ----
// The siginfo a stop other than a signal stop shows: SIGTRAP, its si_code saying why.
static int stop_code(const struct proc *t, uint64_t cause) {
  bool sysgood = trace_options(&t->tracee) & PTRACE_O_TRACESYSGOOD;
  switch (cause) {
  case PROC_STOP_PRE_SYSCALL:
  case PROC_STOP_POST_SYSCALL: return sysgood ? SIGTRAP | 0x80 : SIGTRAP;
  case PROC_STOP_SINGLESTEP: return TRAP_TRACE;
  case PROC_STOP_WATCH: return TRAP_HWBKPT;
  case PROC_STOP_BREAKPOINT: return TRAP_BRKPT;
  case PROC_STOP_EXEC: return SIGTRAP | PTRACE_EVENT_EXEC << 8;
  case PROC_STOP_EXIT: return SIGTRAP | PTRACE_EVENT_EXIT << 8;
  case PROC_STOP_VFORK_DONE: return SIGTRAP | PTRACE_EVENT_VFORK_DONE << 8;
  case PROC_STOP_INTERRUPT: return SIGTRAP | PTRACE_EVENT_STOP << 8;
  }
  return SIGTRAP; // (a clone stop's event needs the flags: see event_of)
}

static long getsiginfo(struct proc *t, uint64_t data) {
  struct linux_siginfo u;
  struct siginfo_k *k = trace_stop_siginfo(&t->tracee), trap = {.signo = SIGTRAP};
  uint64_t cause = trace_stop_cause(&t->tracee);
  if (!k && cause == PROC_STOP_GROUP && !trace_seized(&t->tracee))
    return -EINVAL; // a group stop has no siginfo (how Linux tells it apart)
  if (!k && cause == PROC_STOP_GROUP) { // SEIZE: the stop signal, as an event stop
    trap.signo = t->stop_sig;
    trap.code = t->stop_sig | PTRACE_EVENT_STOP << 8;
    k = &trap;
  } else if (!k && cause == PROC_STOP_SIGNAL) { // a followed child's first SIGSTOP
    trap = (struct siginfo_k){.signo = trace_event_msg(&t->tracee), .code = SI_USER};
    k = &trap;
  } else if (!k) {
    trap.code = stop_code(t, cause);
    k = &trap;
  }
  signal_fill_info(&u, k);
  return copyout(data, &u, sizeof u) < 0 ? -EFAULT : 0;
}

static long setsiginfo(struct proc *t, uint64_t data) {
  struct linux_siginfo u;
  struct siginfo_k *k = trace_stop_siginfo(&t->tracee);
  if (copyin(&u, data, sizeof u) < 0)
    return -EFAULT;
  if (!k && trace_stop_cause(&t->tracee) == PROC_STOP_GROUP)
    return -EINVAL;
  if (k)
    signal_info_from(k, &u); // what the signal will be delivered with
  return 0;
}

// PEEKSIGINFO: the pending signals, lowest first, from index off. One queue holds
// them all (no threads): PTRACE_PEEKSIGINFO_SHARED reads it, the private one is empty.
static long peeksiginfo(struct proc *t, uint64_t uargs, uint64_t data) {
  struct { uint64_t off; uint32_t flags; int32_t nr; } a;
  if (copyin(&a, uargs, sizeof a) < 0)
    return -EFAULT;
  if ((a.flags & ~1u) || a.nr < 0)
    return -EINVAL;
  if (!(a.flags & 1))
    return 0;
  long got = 0;
  uint64_t idx = 0;
  for (int sig = 1; sig <= NSIG && got < a.nr; sig++) {
    const struct siginfo_k *k;
    for (int i = 0; (k = signal_pending_info(t, sig, i)) && got < a.nr; i++, idx++) {
      struct linux_siginfo u;
      if (idx < a.off)
        continue;
      signal_fill_info(&u, k);
      if (copyout(data + got * sizeof u, &u, sizeof u) < 0)
        return got ? got : -EFAULT;
      got++;
    }
  }
  return got;
}

static long sigmask(struct proc *t, uint64_t size, uint64_t data, bool set) {
  uint64_t m;
  if (size != sizeof m)
    return -EINVAL;
  if (!set)
    return copyout(data, &t->blocked, sizeof m) < 0 ? -EFAULT : 0;
  if (copyin(&m, data, sizeof m) < 0)
    return -EFAULT;
  t->blocked = m & ~UNBLOCKABLE;
  return 0;
}

// ---- events ----
static int clone_event(uint64_t flags) {
  if (flags & CLONE_VFORK)
    return PTRACE_EVENT_VFORK;
  return (flags & CSIGNAL) != SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
}

static long eventmsg(struct proc *t, uint64_t data) {
  uint64_t cause = trace_stop_cause(&t->tracee), m = trace_event_msg(&t->tracee);
  if (cause == PROC_STOP_PRE_SYSCALL || cause == PROC_STOP_POST_SYSCALL)
    m = cause == PROC_STOP_PRE_SYSCALL ? 1 : 2; // Linux's PTRACE_EVENTMSG_SYSCALL_*
  else if (cause == PROC_STOP_EXEC)
    m = t->pid; // the thread id it had before exec
  return copyout(data, &m, sizeof m) < 0 ? -EFAULT : 0;
}

// GET_SYSCALL_INFO: struct ptrace_syscall_info, cut to size bytes; returns its full size.
static long syscall_info(struct proc *t, uint64_t size, uint64_t data) {
  struct {
    uint8_t op, pad[3];
    uint32_t arch;
    uint64_t ip, sp;
    uint64_t w[7]; // entry: nr, args[6]; exit: rval, is_error
  } info = {.arch = AUDIT_ARCH_X86_64, .ip = t->tf->rip, .sp = t->tf->rsp};
  const struct trapframe *tf = t->tf;
  uint64_t cause = trace_stop_cause(&t->tracee);
  size_t full = 24;
  if (cause == PROC_STOP_PRE_SYSCALL) {
    info.op = 1;
    uint64_t w[7] = {tf->orig_rax, tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9};
    memcpy(info.w, w, sizeof w);
    full = 80;
  } else if (cause == PROC_STOP_POST_SYSCALL) {
    info.op = 2;
    info.w[0] = tf->rax;
    info.w[1] = tf->rax >= (uint64_t)-4095; // is_error (a byte: the rest is padding)
    full = 33;
  }
  if (copyout(data, &info, MIN(size, full)) < 0)
    return -EFAULT;
  return full;
}

// ---- the request switch ----
// Requests that need the tracee in a stop.
static long stopped_request(struct proc *t, long req, uint64_t addr, uint64_t data) {
  switch (req) {
  case PTRACE_PEEKTEXT:
  case PTRACE_PEEKDATA: return peek(t, addr, data);
  case PTRACE_POKETEXT:
  case PTRACE_POKEDATA: return poke(t, addr, data);
  case PTRACE_PEEKUSER: return peek_user(t, addr, data);
  case PTRACE_POKEUSER: return poke_user(t, addr, data);
  case PTRACE_CONT:
  case PTRACE_SYSCALL:
  case PTRACE_SINGLESTEP:
  case PTRACE_SYSEMU:
  case PTRACE_SYSEMU_SINGLESTEP: return resume(t, req, data);
  case PTRACE_DETACH: return detach(t, data);
  case PTRACE_LISTEN: return listen(t);
  case PTRACE_GETREGS:
    return copyout(data, t->tf, sizeof *t->tf) < 0 ? -EFAULT : 0;
  case PTRACE_SETREGS: {
    struct trapframe nf;
    return copyin(&nf, data, sizeof nf) < 0 ? -EFAULT : set_regs(t, &nf);
  }
  case PTRACE_GETFPREGS: return fpregs(t, data, false);
  case PTRACE_SETFPREGS: return fpregs(t, data, true);
  case PTRACE_GETREGSET: return regset(t, addr, data, false);
  case PTRACE_SETREGSET: return regset(t, addr, data, true);
  case PTRACE_GETSIGINFO: return getsiginfo(t, data);
  case PTRACE_SETSIGINFO: return setsiginfo(t, data);
  case PTRACE_PEEKSIGINFO: return peeksiginfo(t, addr, data);
  case PTRACE_GETSIGMASK: return sigmask(t, addr, data, false);
  case PTRACE_SETSIGMASK: return sigmask(t, addr, data, true);
  case PTRACE_SETOPTIONS: return set_options(t, data);
  case PTRACE_GETEVENTMSG: return eventmsg(t, data);
  case PTRACE_GET_SYSCALL_INFO: return syscall_info(t, addr, data);
  case PTRACE_ARCH_PRCTL: return arch_prctl(t, addr, data);
  }
  return -EIO;
}

long ptrace_request(long req, int pid, uint64_t addr, uint64_t data) {
  struct proc *t;
  switch (req) {
  case PTRACE_TRACEME: return traceme();
  case PTRACE_ATTACH: return attach(pid, false, addr, data);
  case PTRACE_SEIZE: return attach(pid, true, addr, data);
  case PTRACE_KILL:
  case PTRACE_INTERRUPT:
    if (!(t = tracee_of(pid, false)))
      return -ESRCH;
    if (req == PTRACE_INTERRUPT)
      return interrupt(t);
    proc_kill(t);
    return 0;
  }
  if (!(t = tracee_of(pid, true)))
    return -ESRCH;
  return stopped_request(t, req, addr, data);
}

// ---- the wait side ----
// The wait status of an event: (signal | event << 8) << 8 | 0x7f for stops, the exit
// status for an exit.
static int wait_status(const struct trace_report *r) {
  const struct proc_event *ev = &r->ev;
  int sig = SIGTRAP, event = 0;
  switch (ev->cause) {
  case PROC_EVENT_EXITED: return ev->a;
  case PROC_STOP_PRE_SYSCALL:
  case PROC_STOP_POST_SYSCALL:
    sig = r->options & PTRACE_O_TRACESYSGOOD ? SIGTRAP | 0x80 : SIGTRAP;
    break;
  case PROC_STOP_SIGNAL: sig = ev->a; break;
  case PROC_STOP_GROUP:
    sig = ev->a;
    event = r->seized ? PTRACE_EVENT_STOP : 0;
    break;
  case PROC_STOP_INTERRUPT: event = PTRACE_EVENT_STOP; break;
  case PROC_STOP_EXEC: event = PTRACE_EVENT_EXEC; break;
  case PROC_STOP_EXIT: event = PTRACE_EVENT_EXIT; break;
  case PROC_STOP_CLONE: event = clone_event(ev->b); break;
  case PROC_STOP_VFORK_DONE: event = PTRACE_EVENT_VFORK_DONE; break;
  }
  return (sig | event << 8) << 8 | 0x7f;
}

struct wait_match {
  int idtype, id;
  const struct proc *thread; // __WNOTHREAD: only the tracees of this thread, else NULL
};

// A tracee is selected by its thread id (P_PID) or its process group. As Linux (4.7+),
// __WCLONE and __WALL do not matter: a traced thread is seen by every wait of its tracer.
// The tracer is the thread that attached, but a wait from any thread of its group sees
// the tracee, unless it asks for its own with __WNOTHREAD.
static bool matches(int pid, const struct proc *t, const struct proc *owner, void *arg) {
  const struct wait_match *m = arg;
  if (m->thread && owner != m->thread)
    return false;
  if (m->idtype == P_ALL)
    return true;
  if (m->idtype == P_PID)
    return pid == m->id;
  return t && t->pgid == m->id;
}

// A tracer that resumed a tracee and now waits (a blocking wait) lets it run first: the
// event it waits for is most likely that tracee's next stop, and the stop hands the CPU
// straight back (trace.c's handoff). One look at the sessions then finds it, where
// looking first would find nothing, sleep, and look again.
void ptrace_wait_yield(struct proc *tracer) {
  struct proc *t = cpu.handoff;
  if (t && t->state == P_RUNNABLE && trace_owner(&t->tracee) &&
      trace_owner(&t->tracee)->leader == tracer->leader)
    yield();
}

// waitid's side of ptrace: the next event of a tracee of any thread of the caller's
// process selected by (idtype, id), as waitid reports it (CLD_TRAPPED and the stop's
// status for a stop; an exit only under WEXITED). 1 with *res filled (the event consumed
// unless WNOWAIT), or 0; *have is set if some tracee matches. The group's sessions are
// one list: this costs what the tracer traces.
int ptrace_wait(struct proc *tracer, int idtype, int id, int options, struct waitres *res,
                bool *have) {
  struct wait_match m = {idtype, id, options & __WNOTHREAD ? tracer : NULL};
  struct trace_report r;
  if (!tracer->leader->ptraced ||
      !trace_owned_event(tracer, matches, &m, !(options & WNOWAIT), options & WEXITED, &r, have))
    return 0;
  int st = wait_status(&r);
  res->pid = r.pid;
  res->uid = r.uid;
  if (r.ev.cause == PROC_EVENT_EXITED) {
    waitres_exit(res, st);
  } else {
    res->status = st;
    res->code = CLD_TRAPPED;
    res->si_status = st >> 8 & 0xffff; // the signal, and the event above it (as Linux)
  }
  return 1;
}

// Each event of a tracee is also a SIGCHLD for its tracer, as Linux's
// do_notify_parent_cldstop (gdbserver sleeps in sigsuspend until one comes): a stop is
// CLD_TRAPPED with its signal (SIGTRAP for syscall and event stops), a group or
// interrupt stop CLD_STOPPED with the group's stop signal (none for an interrupt), an
// exit how the tracee ended. si_pid is the thread's id. SA_NOCLDSTOP spares the stops.
void ptrace_notify(struct proc *tracer, int pid, const struct proc *tracee,
                   const struct proc_event *ev) {
  uint64_t h = tracer->sighand->act[SIGCHLD - 1].handler;
  if (h <= SIG_IGN && !(tracer->blocked & SIGBIT(SIGCHLD)) && !trace_owner(&tracer->tracee))
    return; // (ignored, so dropped as sent: the stop's hot path need not build it)
  struct siginfo_k info = {.signo = SIGCHLD, .code = CLD_TRAPPED, .pid = pid,
                           .uid = tracee ? tracee->ruid : 0, .status = SIGTRAP};
  int st = ev->a;
  switch (ev->cause) {
  case PROC_EVENT_EXITED:
    info.code = !(st & 0x7f) ? CLD_EXITED : st & 0x80 ? CLD_DUMPED : CLD_KILLED;
    info.status = st & 0x7f ? st & 0x7f : st >> 8 & 0xff;
    signal_send(tracer, &info);
    return;
  case PROC_STOP_SIGNAL: info.status = st; break;
  case PROC_STOP_GROUP: info.code = CLD_STOPPED, info.status = st; break;
  case PROC_STOP_INTERRUPT: info.code = CLD_STOPPED, info.status = 0; break;
  }
  if (!(tracer->sighand->act[SIGCHLD - 1].flags & SA_NOCLDSTOP))
    signal_send(tracer, &info);
}

// ---- process_vm_readv, process_vm_writev ----
#define IOV_MAX 1024

struct iov { uint64_t base, len; };

// One cursor over an iovec array in the caller's memory.
struct iov_cursor {
  uint64_t uiov;
  unsigned long left; // iovecs not yet loaded
  struct iov cur;     // what remains of the current one
};

static int iov_next(struct iov_cursor *c) {
  while (c->cur.len == 0) {
    if (!c->left)
      return 0;
    if (copyin(&c->cur, c->uiov, sizeof c->cur) < 0)
      return -EFAULT;
    c->uiov += sizeof c->cur;
    c->left--;
  }
  return 1;
}

// Copy between the caller's iovecs and pid's (write: into pid). Returns the bytes
// moved, up to the first address that fails (EFAULT if it is the first), as Linux.
long ptrace_vm_rw(int pid, uint64_t liov, unsigned long lcnt, uint64_t riov, unsigned long rcnt,
                  uint64_t flags, bool write) {
  static uint8_t buf[PAGE_SIZE]; // (one CPU, and nothing below sleeps)
  if (flags || lcnt > IOV_MAX || rcnt > IOV_MAX)
    return -EINVAL;
  struct proc *me = myproc(), *t = pid > 0 ? proc_find(pid) : NULL;
  if (!t || t->state == P_ZOMBIE || !t->vm)
    return -ESRCH;
  if (!procfs_may_look(me, t))
    return -EPERM;
  struct iov_cursor l = {liov, lcnt, {0, 0}}, r = {riov, rcnt, {0, 0}};
  long done = 0;
  int e;
  while ((e = iov_next(&l)) > 0 && (e = iov_next(&r)) > 0) {
    size_t n = MIN(MIN(l.cur.len, r.cur.len), sizeof buf), got;
    if (!user_range_ok(r.cur.base, n))
      break;
    if (write) {
      if (copyin(buf, l.cur.base, n) < 0)
        break;
      got = vm_copy(t->vm, r.cur.base, buf, n, true, false);
    } else {
      got = vm_copy(t->vm, r.cur.base, buf, n, false, false);
      if (got && copyout(l.cur.base, buf, got) < 0)
        break;
    }
    done += got;
    l.cur.base += got, l.cur.len -= got, r.cur.base += got, r.cur.len -= got;
    if (got < n)
      break;
  }
  if (e < 0 && !done)
    return e; // a bad iovec array
  return done ? done : (l.cur.len && r.cur.len ? -EFAULT : 0);
}
