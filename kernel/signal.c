// Signals as Linux does them: generation (signal_send), delivery on the way back to
// user mode (signal_deliver), the x86-64 signal frame, rt_sigreturn, job-control stops.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "trace.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/siginfo.h>

// ---- generation ----
static bool default_ignore(int sig) {
  return sig == SIGCHLD || sig == SIGCONT || sig == 23 /* URG */ || sig == 28 /* WINCH */;
}
// Signals whose default action is a core dump: Linux sets the wait status's 0x80 bit.
// Vitrine writes no core file but reports the same status.
static bool default_core(int sig) {
  return sig == SIGQUIT || sig == SIGILL || sig == SIGTRAP || sig == SIGABRT || sig == SIGBUS ||
         sig == SIGFPE || sig == SIGSEGV || sig == 24 /* XCPU */ || sig == 25 /* XFSZ */ ||
         sig == 31 /* SYS */;
}
static bool default_stop(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// Would delivering sig to p do nothing at all? Such signals are dropped when sent,
// unless blocked (the mask may change before delivery), as Linux does.
static bool ignored(const struct proc *p, int sig) {
  if (sig == SIGKILL || sig == SIGSTOP || (p->blocked & SIGBIT(sig)))
    return false;
  uint64_t h = p->sighand->act[sig - 1].handler;
  return h == SIG_IGN || (h == SIG_DFL && default_ignore(sig));
}

// The parent hears of a child's stop, continue or exit: SIGCHLD and a wakeup of wait4.
void signal_notify_parent(struct proc *p, int code, int status) {
  struct proc *parent = p->parent;
  if (!parent)
    return;
  bool nocldstop = parent->sighand->act[SIGCHLD - 1].flags & SA_NOCLDSTOP;
  if (!(nocldstop && (code == CLD_STOPPED || code == CLD_CONTINUED))) {
    struct siginfo_k info = {.signo = SIGCHLD, .code = code, .pid = p->tgid, .uid = p->ruid,
                             .status = status};
    signal_send(parent, &info);
  }
  wakeup(parent);
}

static void do_continue(struct proc *p) {
  p->pending &= ~(SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU));
  p->group_stop = false;
  trace_job_continued(p);
  if (p->state == P_STOPPED) {
    p->state = P_RUNNABLE;
    p->stop_report = false;
    p->cont_report = true;
    signal_notify_parent(p, CLD_CONTINUED, SIGCONT);
  }
}

// sig for thread p alone (tkill, tgkill, faults, and the thread a process-directed
// signal was given to).
void signal_send_thread(struct proc *p, const struct siginfo_k *info) {
  int sig = info->signo;
  if (sig <= 0 || sig > NSIG || p->state == P_ZOMBIE || p->state == P_UNUSED || p->state == P_DEAD)
    return;
  // init gets only the signals it has handlers for (as on Linux), so nothing, not even
  // SIGKILL from root, can stop or end it: the kernel cannot go on without it.
  if (p->leader == initproc &&
      (sig == SIGKILL || sig == SIGSTOP || p->sighand->act[sig - 1].handler <= SIG_IGN))
    return;
  if (sig == SIGCONT) // continues the whole group, even if SIGCONT is blocked or ignored
    for_each_thread(t, p)
      do_continue(t);
  if (default_stop(sig))
    p->pending &= ~SIGBIT(SIGCONT);
  if (sig == SIGKILL) { // ends any stop, job-control or trace, of every thread
    for_each_thread(t, p) {
      t->killed = true;
      if (t->state == P_STOPPED || t->state == P_TRACED)
        t->state = P_RUNNABLE;
      if (t != p)
        proc_interrupt(t);
    }
  }
  if (ignored(p, sig) && !trace_owner(&p->tracee)) // (a ptrace tracer sees them all)
    return;
  if (!(p->pending & SIGBIT(sig)))
    p->siginfo[sig - 1] = *info; // standard signals do not queue: the first one counts
  else if (sig >= SIGRTMIN && p->rtqueued[sig - SIGRTMIN] == UINT16_MAX)
    return; // the queue of a real-time signal is full (Linux: EAGAIN from sigqueue)
  if (sig >= SIGRTMIN)
    p->rtqueued[sig - SIGRTMIN]++; // real-time signals queue: each one is delivered
  p->pending |= SIGBIT(sig);
  if (!(p->blocked & SIGBIT(sig)) || sig == SIGKILL || (p->sigwait & SIGBIT(sig)))
    proc_interrupt(p);
  trace_signal_sent(p);
}

// A process-directed signal (kill) for p's group goes to one thread that does not block
// it: p if it can take it, else the first such thread, else one waiting for it in
// sigtimedwait; if every thread blocks it, it waits with p (or the first live thread).
// (Linux keeps it in a shared queue any thread may take; here it stays with the one
// chosen now: docs/threads.md.)
void signal_send(struct proc *p, const struct siginfo_k *info) {
  int sig = info->signo;
  if (sig <= 0 || sig > NSIG)
    return;
  struct proc *target = NULL;
  if (p->state != P_ZOMBIE && p->state != P_DEAD && p->state != P_UNUSED &&
      !(p->blocked & SIGBIT(sig)))
    target = p;
  for (struct proc *t = thread_next(p, NULL); t && !target; t = thread_next(p, t))
    if (!(t->blocked & SIGBIT(sig)) || (t->sigwait & SIGBIT(sig)))
      target = t;
  if (!target)
    target = p->state == P_ZOMBIE ? thread_next(p, NULL) : p;
  if (target)
    signal_send_thread(target, info);
}

// A fault: cannot be blocked or ignored. If it is, the default action (death) applies.
void signal_force(struct proc *p, const struct siginfo_k *info) {
  int sig = info->signo;
  struct sigaction_k *sa = &p->sighand->act[sig - 1];
  if ((p->blocked & SIGBIT(sig)) || sa->handler == SIG_IGN) {
    p->blocked &= ~SIGBIT(sig);
    sa->handler = SIG_DFL;
  }
  p->siginfo[sig - 1] = *info;
  p->pending |= SIGBIT(sig);
}


// exec: handlers point into the old program, so they return to the default; ignored
// signals stay ignored, the mask and pending signals stay (POSIX).
void signal_exec_reset(struct proc *p) {
  for (int i = 0; i < NSIG; i++)
    if (p->sighand->act[i].handler != SIG_IGN)
      p->sighand->act[i] = (struct sigaction_k){0};
  p->altstack_sp = p->altstack_size = 0;
  p->altstack_flags = 2; // SS_DISABLE
}

// ---- the signal frame ----
struct sigcontext_k {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
  uint64_t rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct ucontext_k {
  uint64_t flags, link;
  uint64_t ss_sp;
  int32_t ss_flags, pad;
  uint64_t ss_size;
  struct sigcontext_k mc;
  uint64_t sigmask;
};
struct rt_sigframe {
  uint64_t pretcode; // the handler returns here: sa_restorer, which calls rt_sigreturn
  struct ucontext_k uc;
  struct linux_siginfo info;
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "Linux's struct sigcontext");
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc.mc) == 48, "uc_mcontext");
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "rt_sigframe.info");

static void to_sigcontext(const struct trapframe *tf, struct sigcontext_k *mc) {
  *mc = (struct sigcontext_k){
      .r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11, .r12 = tf->r12,
      .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15, .rdi = tf->rdi, .rsi = tf->rsi,
      .rbp = tf->rbp, .rbx = tf->rbx, .rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx,
      .rsp = tf->rsp, .rip = tf->rip, .eflags = tf->rflags, .cs = tf->cs, .ss = tf->ss};
}

static void from_sigcontext(const struct sigcontext_k *mc, struct trapframe *tf) {
  tf->r8 = mc->r8, tf->r9 = mc->r9, tf->r10 = mc->r10, tf->r11 = mc->r11, tf->r12 = mc->r12;
  tf->r13 = mc->r13, tf->r14 = mc->r14, tf->r15 = mc->r15, tf->rdi = mc->rdi;
  tf->rsi = mc->rsi, tf->rbp = mc->rbp, tf->rbx = mc->rbx, tf->rdx = mc->rdx;
  tf->rax = mc->rax, tf->rcx = mc->rcx, tf->rsp = mc->rsp, tf->rip = mc->rip;
  tf->rflags = mc->eflags, tf->cs = mc->cs, tf->ss = mc->ss;
}

void signal_fill_info(struct linux_siginfo *u, const struct siginfo_k *k) {
  memset(u, 0, sizeof *u);
  u->signo = k->signo;
  u->code = k->code;
  if (k->signo == SIGSEGV || k->signo == SIGBUS || k->signo == SIGILL || k->signo == SIGFPE ||
      (k->signo == SIGTRAP && k->code != SI_USER))
    u->addr = k->addr;
  else if (k->code == SI_TIMER)
    u->c.pid = k->timerid, u->c.uid = k->overrun, u->c.value = k->value;
  else if (k->signo == SIGCHLD && k->code > 0)
    u->c.pid = k->pid, u->c.uid = k->uid, u->c.status = k->status;
  else
    u->c.pid = k->pid, u->c.uid = k->uid, u->c.value = k->value;
}

// The reverse, for a tracer's SETSIGINFO: what the kernel keeps of a siginfo.
void signal_info_from(struct siginfo_k *k, const struct linux_siginfo *u) {
  bool fault = u->signo == SIGSEGV || u->signo == SIGBUS || u->signo == SIGILL ||
               u->signo == SIGFPE || (u->signo == SIGTRAP && u->code != SI_USER);
  *k = (struct siginfo_k){.signo = u->signo, .code = u->code};
  if (fault)
    k->addr = u->addr;
  else
    k->pid = u->c.pid, k->uid = u->c.uid, k->status = u->c.status;
}

static bool on_altstack(const struct proc *p, uint64_t sp) {
  return p->altstack_size && sp - p->altstack_sp < p->altstack_size;
}

// Build the frame on the user stack and point the registers at the handler.
// Returns false if the stack cannot take it (the caller then kills with SIGSEGV).
static bool setup_frame(struct proc *p, int sig, const struct sigaction_k *sa, uint64_t oldmask) {
  struct trapframe *tf = p->tf;
  uint64_t sp = tf->rsp - 128; // skip the red zone
  if ((sa->flags & SA_ONSTACK) && p->altstack_size && !on_altstack(p, tf->rsp))
    sp = p->altstack_sp + p->altstack_size;
  // A handler that is not a user address cannot be returned to: on real CPUs IRETQ to a
  // non-canonical rip faults in the kernel. The program dies as if its stack were bad.
  if (sa->handler >= 1ull << 47)
    return false;
  uint64_t fpstate = ALIGN_DOWN(sp - 512, 64);
  uint64_t frame_at = ALIGN_DOWN(fpstate - sizeof(struct rt_sigframe), 16) - 8;
  struct rt_sigframe *f = kmalloc(sizeof *f);
  if (!f)
    return false;
  f->pretcode = sa->restorer;
  f->uc = (struct ucontext_k){.ss_sp = p->altstack_sp, .ss_size = p->altstack_size,
                              .ss_flags = p->altstack_size ? (on_altstack(p, tf->rsp) ? 1 : 0) : 2,
                              .sigmask = oldmask};
  to_sigcontext(tf, &f->uc.mc);
  if (trace_stepping(&p->tracee)) // the kernel's TF (a single step) is not the program's to restore
    f->uc.mc.eflags &= ~FL_TF;
  f->uc.mc.fpstate = fpstate;
  f->uc.mc.oldmask = oldmask;
  signal_fill_info(&f->info, &p->siginfo[sig - 1]);
  fpu_flush(p);
  bool ok = copyout(frame_at, f, sizeof *f) == 0 && copyout(fpstate, p->fpu, 512) == 0;
  kfree(f);
  if (!ok)
    return false;
  tf->rdi = sig;
  tf->rsi = frame_at + __builtin_offsetof(struct rt_sigframe, info);
  tf->rdx = frame_at + __builtin_offsetof(struct rt_sigframe, uc);
  tf->rax = 0;
  tf->rsp = frame_at;
  tf->rip = sa->handler;
  tf->rflags &= ~(FL_DF | FL_RF | FL_TF);
  tf->cs = USER_CS, tf->ss = USER_DS;
  return true;
}

// rt_sigreturn: back to the registers saved in the frame, after the same checks a
// tracer's register write gets. A frame that fails them kills the process.
long signal_return(struct trapframe *tf) {
  struct proc *p = myproc();
  struct ucontext_k uc;
  uint8_t *fx = kmalloc(512);
  uint64_t frame_at = tf->rsp - 8;
  struct trapframe n = *tf;
  bool ok = fx && copyin(&uc, frame_at + __builtin_offsetof(struct rt_sigframe, uc), sizeof uc) == 0;
  if (ok) {
    from_sigcontext(&uc.mc, &n);
    ok = regs_check(&n, tf) == 0;
  }
  if (ok && uc.mc.fpstate)
    ok = copyin(fx, uc.mc.fpstate, 512) == 0 && fpu_check(fx) == 0;
  if (!ok) {
    kfree(fx);
    struct siginfo_k info = {.signo = SIGSEGV, .code = SI_KERNEL};
    signal_force(p, &info);
    return tf->rax;
  }
  *tf = n;
  tf->orig_rax = -1; // not in a system call any more: no restart
  if (uc.mc.fpstate) {
    memcpy(p->fpu, fx, 512);
    fpu_dirty(p);
  }
  kfree(fx);
  p->blocked = uc.sigmask & ~UNBLOCKABLE;
  return tf->rax;
}

// ---- delivery ----
// System calls a handler with SA_RESTART restarts after -EINTR. Calls that wait for
// time (nanosleep, poll, sigsuspend...) are not restarted after a handler ran.
static bool restartable(uint64_t nr) {
  static const uint16_t calls[] = {0, 1, 16, 17, 18, 19, 20, 2, 257, 61, 40, 56, 57, 58,
                                   247 /* waitid */, 72 /* fcntl F_SETLKW */, 73 /* flock */};
  for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
    if (calls[i] == nr)
      return true;
  return false;
}

static bool interrupted_syscall(const struct trapframe *tf) {
  return (int64_t)tf->orig_rax >= 0 &&
         ((int64_t)tf->rax == -ERESTARTSYS || (int64_t)tf->rax == -ERESTART_RESTARTBLOCK);
}

#define NR_RESTART_SYSCALL 219

static void restart_syscall(struct trapframe *tf) {
  // A timed call goes on with restart_syscall(2) and its restart block; others run again.
  tf->rax = (int64_t)tf->rax == -ERESTART_RESTARTBLOCK ? NR_RESTART_SYSCALL : tf->orig_rax;
  tf->rip -= 2; // the syscall instruction is two bytes: run it again
}

long restart_later(long (*fn)(const struct restart_block *), uint64_t a0, uint64_t a1,
                   uint64_t a2, uint64_t a3) {
  myproc()->restart = (struct restart_block){fn, {a0, a1, a2, a3}};
  return -ERESTART_RESTARTBLOCK;
}

// restart_syscall(2): once only; called again (by hand, or after a handler ran) it is
// EINTR, as Linux's.
long restart_now(void) {
  struct proc *p = myproc();
  struct restart_block rb = p->restart;
  p->restart.fn = NULL;
  return rb.fn ? rb.fn(&rb) : -EINTR;
}

// Job-control stop: sleep until SIGCONT or SIGKILL. The first thread of the group to
// stop tells the parent, once, about the process; wait4 reports the leader once it too
// has stopped.
static void job_stop(struct proc *p, bool first) {
  p->stop_report = true;
  p->cont_report = false;
  p->state = P_STOPPED;
  if (first)
    signal_notify_parent(p->leader, CLD_STOPPED, p->stop_sig);
  else
    wakeup(p->parent); // a parent in wait4 looks again (the leader may be the last)
  sched();
}

// A group stop (Linux's): the first thread to act on a stop signal makes the others
// join (group_stop, carried by a pending SIGSTOP so that it ends their sleeps, acted on
// at their next return to user mode). Returns true for the first.
static bool group_stop_start(struct proc *p, int sig) {
  for_each_thread(t, p)
    if (t != p && (t->state == P_STOPPED || t->group_stop))
      return false;
  for_each_thread(t, p)
    if (t != p) {
      t->stop_sig = sig; // (what the group stopped for)
      t->group_stop = true;
      t->siginfo[SIGSTOP - 1] = (struct siginfo_k){.signo = SIGSTOP, .code = SI_KERNEL};
      t->pending |= SIGBIT(SIGSTOP);
      proc_interrupt(t);
    }
  return true;
}

// Thread p stops with its group: for its tracer if it has one that takes group stops (a
// ptrace tracer sees each thread's group stop, and no signal stop for joining), else
// for job control.
static void group_stop(struct proc *p, int sig, bool initiator) {
  bool first = initiator && group_stop_start(p, sig);
  if (!trace_group_stop(p->stop_sig))
    job_stop(p, first);
}

static int next_signal(struct proc *p) {
  uint64_t ready = p->pending & ~(p->blocked & ~UNBLOCKABLE);
  if (!ready)
    return 0;
  if (ready & SIGBIT(SIGKILL))
    return SIGKILL;
  for (int sig = 1; sig <= NSIG; sig++) // synchronous faults first, then lowest number
    if ((ready & SIGBIT(sig)) && p->siginfo[sig - 1].code == SI_KERNEL)
      return sig;
  return __builtin_ctzll(ready) + 1;
}

// Act on one signal. Returns true if a handler frame was set up.
// Take one instance of sig off the pending set.
static void dequeue(struct proc *p, int sig) {
  if (sig >= SIGRTMIN && p->rtqueued[sig - SIGRTMIN] > 1)
    p->rtqueued[sig - SIGRTMIN]--; // more of them wait
  else {
    if (sig >= SIGRTMIN)
      p->rtqueued[sig - SIGRTMIN] = 0;
    p->pending &= ~SIGBIT(sig);
  }
}

// The tracer replaced signal old by sig at a signal stop: its siginfo is the one the
// tracer left (SETSIGINFO), else that of a signal the tracer sent. A blocked replacement
// waits as a sent one would. Returns the signal to act on now, 0 for none.
static int tracer_signal(struct proc *p, int old, int sig) {
  struct siginfo_k info = p->siginfo[old - 1];
  struct proc *tracer = trace_owner(&p->tracee); // (NULL: a proc: tracer, or gone)
  if (info.signo != sig)
    info = (struct siginfo_k){.signo = sig, .code = SI_USER, .pid = tracer ? tracer->pid : 0,
                              .uid = tracer ? tracer->ruid : 0};
  if ((p->blocked & SIGBIT(sig)) && sig != SIGKILL) {
    signal_send(p, &info);
    return 0;
  }
  p->siginfo[sig - 1] = info;
  return sig;
}

static bool deliver_one(struct proc *p, int sig) {
  dequeue(p, sig);
  if (sig == SIGSTOP && p->group_stop) { // joining the group's stop, not a signal
    p->group_stop = false;
    group_stop(p, p->stop_sig, false);
    return false;
  }
  int traced = trace_signal(sig, p->sighand->act[sig - 1].handler, &p->siginfo[sig - 1]);
  if (!traced)
    return false; // the tracer dropped it
  if (p->killed) // SIGKILL came during the signal stop: it, not sig, ends the process
    proc_exit(SIGKILL);
  if (traced != sig && !(sig = tracer_signal(p, sig, traced)))
    return false;
  struct sigaction_k sa = p->sighand->act[sig - 1];
  if (sig == SIGKILL || sa.handler == SIG_DFL) {
    if (sig != SIGKILL && default_ignore(sig))
      return false;
    if (sig != SIGKILL && default_stop(sig)) {
      p->stop_sig = sig;
      group_stop(p, sig, true);
      return false;
    }
    // terminate: the wait status's low 7 bits hold the signal, 0x80 the core dump
    proc_exit(sig | (default_core(sig) ? 0x80 : 0));
  }
  if (sa.handler == SIG_IGN)
    return false;
  struct trapframe *tf = p->tf;
  if (interrupted_syscall(tf)) {
    if ((sa.flags & SA_RESTART) && restartable(tf->orig_rax) &&
        (int64_t)tf->rax == -ERESTARTSYS)
      restart_syscall(tf);
    else
      tf->rax = -EINTR; // the handler runs, and the call fails with EINTR
    p->restart.fn = NULL; // (a restart block is for a restart that did not come)
    tf->orig_rax = -1;
  }
  uint64_t oldmask = p->restore_mask ? p->saved_mask : p->blocked;
  p->restore_mask = false;
  if (!setup_frame(p, sig, &sa, oldmask)) {
    sa.handler = SIG_DFL;
    p->sighand->act[SIGSEGV - 1].handler = SIG_DFL;
    proc_exit(SIGSEGV | 0x80);
  }
  p->blocked |= sa.mask & ~UNBLOCKABLE;
  if (!(sa.flags & SA_NODEFER))
    p->blocked |= SIGBIT(sig);
  if (sa.flags & SA_RESETHAND)
    p->sighand->act[sig - 1].handler = SIG_DFL;
  trace_signal_delivered();
  return true;
}

// On every return to user mode.
void signal_deliver(void) {
  struct proc *p = myproc();
  bool handled = false;
  int sig;
  while (!handled && (sig = p->killed ? SIGKILL : next_signal(p)))
    handled = deliver_one(p, sig);
  struct trapframe *tf = p->tf;
  if (!handled && interrupted_syscall(tf))
    restart_syscall(tf); // no handler ran: the interruption is invisible (stop/continue)
  if (!handled && p->restore_mask) {
    p->blocked = p->saved_mask;
    p->restore_mask = false;
  }
  if (p->killed) // SIGKILL arrived while we were stopped for the tracer
    proc_exit(SIGKILL);
}

// rt_sigtimedwait: take a signal from set (unblockable ones already removed) without
// running its handler, waiting until deadline (in ticks; 0: no limit). Returns the
// signal with *info filled, -EAGAIN at the deadline, or -ERESTARTSYS (another signal).
int signal_wait(uint64_t set, uint64_t deadline, struct linux_siginfo *info) {
  struct proc *p = myproc();
  for (;;) {
    uint64_t ready = p->pending & set;
    if (ready) {
      int sig = __builtin_ctzll(ready) + 1;
      signal_fill_info(info, &p->siginfo[sig - 1]);
      dequeue(p, sig);
      return sig;
    }
    if (deadline && ticks >= deadline)
      return -EAGAIN;
    p->sigwait = set;
    int r = sleep_until(&p->sigwait, deadline);
    p->sigwait = 0;
    if (r < 0 && !(p->pending & set))
      return r; // another signal, with a handler or a default action
  }
}
