// The trace engine. A process stops only at safe points, all through trace_stop():
// syscall entry and exit, the return to user mode after a debug trap or breakpoint,
// signal delivery, exec, exit. There its registers are all in its trapframe, and the
// tracer may read and change them (procfs.c) until it writes new flags to resume it.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "trace.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/procabi.h>

#define TRACE_QUEUE 64 // a power of two: the ring's indices wrap with a mask
_Static_assert((TRACE_QUEUE & (TRACE_QUEUE - 1)) == 0, "TRACE_QUEUE is a power of two");

// A tracing session: the tracer's end, one per open proc:PID/trace. What the target
// stops on is its own (struct tracee): the session carries the events and the handle.
struct trace {
  uint64_t id;              // this session's number: no two sessions share one
  struct proc *target;      // NULL once the target has exited
  bool kill_on_close;       // opened with O_EXCL
  struct proc_event q[TRACE_QUEUE]; // events not yet read, oldest first
  unsigned qhead, qlen;
  int nfrozen;              // children this session may hold (EVENT_CLONE); 0: none
  struct proc *reader;      // the tracer while it sleeps in trace_read, else NULL
  bool polled;              // someone has polled the session: events wake the pollers
};

// Queue an event for the tracer: the caller fills the slot this returns, then calls
// queued(). NULL if there is no room after all (the session went away, or we are being
// killed): the event is not needed then.
static inline struct proc_event *queue_slot(struct trace *t) {
  struct proc *p = myproc();
  // A full queue waits for the tracer rather than lose an event. While we sleep the
  // session may be closed and freed: then our tracee no longer points at it. Only
  // SIGKILL ends the wait: another signal cannot be acted on before the event is queued,
  // and a sleep that a pending signal ends at once would spin here for ever.
  while (p->tracee.session == t && t->qlen == TRACE_QUEUE && !p->killed)
    sleep_nosig(&t->qlen);
  if (p->tracee.session != t || t->qlen == TRACE_QUEUE)
    return NULL;
  return &t->q[(t->qhead + t->qlen++) & (TRACE_QUEUE - 1)];
}

static void queued(struct trace *t) {
  wakeup(t);
  if (t->polled)
    poll_notify();
  cpu.handoff = t->reader; // the tracer waiting in trace_read runs next
}

static void enqueue(struct trace *t, const struct proc_event *ev) {
  struct proc_event *slot = queue_slot(t);
  if (slot) {
    *slot = *ev;
    queued(t);
  }
}

// The one place a process stops for its tracer. Returns the flags the tracer wrote to
// resume it (0 if the process is not stopped after all: no session, being killed, or
// the event could not be queued: a stop its tracer will never hear of is no stop).
static uint64_t trace_stop(uint64_t cause, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                           uint64_t e, uint64_t f) {
  struct proc *p = myproc();
  struct tracee *te = &p->tracee;
  struct trace *t = te->session;
  if (!t || p->killed)
    return 0;
  struct proc_event *ev = queue_slot(t); // (filled in place: this runs at every stop)
  if (!ev)
    return 0;
  *ev = (struct proc_event){cause, a, b, c, d, e, f};
  queued(t);
  te->interrupt = false; // any stop answers a "stop now" request
  te->resume = 0;
  te->cause = cause;
  p->state = P_TRACED;
  sched(); // until trace_write() or SIGKILL (or the tracer going away) wakes us
  te->cause = 0;
  return p->killed ? 0 : te->resume;
}

// Does the session ask for this stop? (No session: no stops.)
static bool wants(uint64_t flag) {
  struct proc *p = myproc();
  return (p->tracee.stops & flag) && !p->killed;
}

// The caller checked that the session stops here (trace_syscall_stops).
// *nr becomes the call to run: the tracer may have changed it (orig_rax).
bool trace_syscall_enter(struct trapframe *tf, uint64_t *nr) {
  struct proc *p = myproc();
  uint64_t r = trace_stop(PROC_STOP_PRE_SYSCALL, tf->orig_rax, tf->rdi, tf->rsi, tf->rdx,
                          tf->r10, tf->r8);
  *nr = tf->orig_rax;
  return (r & PROC_FLAG_IGNORE) || p->killed;
}

// A single step ends (done, or its session gone): TF leaves the frame with it.
void trace_step_cancel(struct tracee *te, struct trapframe *tf) {
  if (te->step) {
    te->step = false;
    tf->rflags &= ~FL_TF;
  }
}

// A step over the syscall instruction ends here: the step is reported now, at the
// syscall's exit, rather than one instruction later (TF is masked inside the kernel).
static void step_done(struct trapframe *tf) {
  trace_step_cancel(&myproc()->tracee, tf);
  if (wants(PROC_STOP_SINGLESTEP))
    trace_stop(PROC_STOP_SINGLESTEP, tf->rip, 0, 0, 0, 0, 0);
}

// nr: the call that ran (orig_rax may have changed since: exec, rt_sigreturn); stops:
// trace_syscall_stops(nr), as the caller found it after the call.
void trace_syscall_exit(struct trapframe *tf, uint64_t nr, uint64_t stops) {
  struct proc *p = myproc();
  struct tracee *te = &p->tracee;
  bool stepping = te->step; // a step that began before the call ends at its exit
  if (te->exec_stop) { // (exec reset the frame: orig_rax no longer says execve)
    te->exec_stop = false;
    if (wants(PROC_STOP_EXEC))
      trace_stop(PROC_STOP_EXEC, tf->rip, 0, 0, 0, 0, 0);
  } else if ((stops & PROC_STOP_POST_SYSCALL) && !p->killed) {
    trace_stop(PROC_STOP_POST_SYSCALL, nr, tf->rax, 0, 0, 0, 0);
  }
  // (A step asked for at the stops above starts now, with the next instruction.)
  if (stepping && te->step)
    step_done(tf);
}

// Signal delivery: the tracer sees the signal first and may drop it. SIGKILL is never
// stopped on.
// The event carries what the signal's siginfo says: c = si_code, d = si_pid, e = si_uid,
// f = si_status (SIGCHLD) or the fault address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
bool trace_signal(int sig, uint64_t handler, const struct siginfo_k *info) {
  if (sig == SIGKILL || !wants(PROC_STOP_SIGNAL))
    return false;
  uint64_t f = sig == SIGCHLD ? (uint64_t)info->status : info->addr;
  return trace_stop(PROC_STOP_SIGNAL, sig, handler, (uint64_t)(int64_t)info->code, info->pid,
                    info->uid, f) & PROC_FLAG_IGNORE;
}

// A handler frame was just built: a single step ends at the handler's first instruction.
void trace_signal_delivered(void) {
  if (myproc()->tracee.step)
    step_done(myproc()->tf);
}

// The session is gone: what it asked for goes with it (struct tracee's invariant). A
// stop it was ending keeps its cause and the flags written to end it (trace_stop).
static void untrace(struct proc *p) {
  struct tracee *te = &p->tracee;
  trace_step_cancel(te, p->tf); // TF was ours: it must not stay behind in the program
  te->session = NULL;
  te->stops = 0; // (the sysset is set again at the next attach)
  te->interrupt = false;
  te->exec_stop = false; // (an exec stop for this session only)
  te->job_stop = false;
}

// SIGCONT came: a job stop that the tracer took over (attach with O_TRUNC) is over, and
// closing the session lets the process run.
void trace_job_continued(struct tracee *te) { te->job_stop = false; }

void trace_exit(int status) {
  struct proc *p = myproc();
  struct trace *t = p->tracee.session;
  if (!t)
    return;
  if (wants(PROC_STOP_EXIT))
    trace_stop(PROC_STOP_EXIT, status, 0, 0, 0, 0, 0);
  struct proc_event ev = {PROC_EVENT_EXITED, status, 0, 0, 0, 0, 0};
  enqueue(t, &ev);
  if (p->tracee.session == t) // (the tracer may have closed the session meanwhile)
    t->target = NULL;
  untrace(p);
}

// A traced process forked: with EVENT_CLONE the child starts held in a trace stop
// (true), until its own trace is opened or the parent's session is written to.
bool trace_clone(struct proc *child) {
  struct trace *t = myproc()->tracee.session;
  if (!wants(PROC_EVENT_CLONE))
    return false;
  child->tracee.frozen = t;
  t->nfrozen++;
  child->tracee.cause = PROC_STOP_INTERRUPT;
  // (May wait for room, while the session is closed: that releases the child.)
  struct proc_event *ev = queue_slot(t);
  if (!ev) { // we are being killed: a child its tracer will never hear of is not held
    if (child->tracee.frozen == t) {
      child->tracee.frozen = NULL;
      child->tracee.cause = 0;
      t->nfrozen--;
    }
    return false;
  }
  *ev = (struct proc_event){PROC_EVENT_CLONE, child->pid, 0, 0, 0, 0, 0};
  queued(t);
  return child->tracee.frozen != NULL;
}

bool trace_debug_trap(struct trapframe *tf, uint64_t dr6) {
  struct proc *p = myproc();
  if ((dr6 & 0x4000) && p->tracee.step) { // BS: a single step the kernel asked for
    step_done(tf);
    return true;
  }
  if ((dr6 & 0xf) && wants(PROC_STOP_WATCH)) { // B0..B3: a debug register fired
    trace_stop(PROC_STOP_WATCH, dr6, tf->rip, 0, 0, 0, 0);
    return true;
  }
  return false;
}

bool trace_breakpoint(struct trapframe *tf) {
  uint8_t byte;
  struct proc *p = myproc();
  if (!wants(PROC_STOP_BREAKPOINT))
    return false;
  // rip is past the int3: point it back at the 0xCC byte, as debuggers expect.
  if (vm_copy(p->vm, tf->rip - 1, &byte, 1, false, false) != 1 || byte != 0xcc)
    return false;
  tf->rip--;
  trace_stop(PROC_STOP_BREAKPOINT, tf->rip, 0, 0, 0, 0, 0);
  return true;
}

// Last check before user mode: a stop the tracer asked for with O_TRUNC.
void trace_return_to_user(void) {
  struct proc *p = myproc();
  if (p->tracee.interrupt) {
    p->tracee.interrupt = false;
    trace_stop(PROC_STOP_INTERRUPT, p->pid, 0, 0, 0, 0, 0);
  }
}

// ---- the tracer's side ----
static void resume(struct proc *p, uint64_t written) {
  p->tracee.resume = written;
  p->tracee.job_stop = false; // the tracer chose to let it run
  if (written & PROC_STOP_SINGLESTEP && !(p->tf->rflags & FL_TF)) {
    p->tf->rflags |= FL_TF;
    p->tracee.step = true;
  }
  p->state = P_RUNNABLE;
  cpu.handoff = p; // when the tracer next waits, its tracee runs
}

// Release the children this session holds (EVENT_CLONE) that no one else took.
static void release_frozen(struct trace *t) {
  if (!t->nfrozen)
    return; // the common case: no need to look through the process table
  t->nfrozen = 0;
  for (int i = 0; i < NPROC; i++) {
    struct proc *c = proctab[i];
    if (c && c->tracee.frozen == t) {
      c->tracee.frozen = NULL;
      c->tracee.cause = 0;
      if (c->state == P_TRACED)
        c->state = P_RUNNABLE;
    }
  }
}

int trace_attach(struct proc *p, int flags, struct trace **out) {
  struct tracee *te = &p->tracee;
  if (te->session)
    return -EBUSY;
  static uint64_t last_id;
  struct trace *t = kmalloc(sizeof *t);
  if (!t)
    return -ENOMEM;
  t->id = ++last_id;
  t->target = p;
  t->kill_on_close = flags & O_EXCL;
  memset(te->sysset, 0xff, sizeof te->sysset);
  te->session = t;
  *out = t;
  if (te->frozen) { // a followed child: it is already stopped, now for us
    te->frozen = NULL;
    struct proc_event ev = {PROC_STOP_INTERRUPT, p->pid, 0, 0, 0, 0, 0};
    t->q[t->qlen++] = ev;
  } else if ((flags & O_TRUNC) && p->state == P_STOPPED) {
    // Stopped by job control already: that stop becomes a trace stop at once (SIGCONT
    // will not end it; the tracer's write does).
    p->state = P_TRACED;
    te->cause = PROC_STOP_INTERRUPT;
    te->job_stop = true; // closing the session without a resume leaves it stopped
    struct proc_event ev = {PROC_STOP_INTERRUPT, p->pid, 0, 0, 0, 0, 0};
    t->q[t->qlen++] = ev;
  } else if (flags & O_TRUNC) {
    te->interrupt = true;
    proc_interrupt(p); // interrupt a blocking call; it restarts on resume
  }
  return 0;
}

// Events go straight to the user's buffer, and leave the queue only once they are there:
// a bad buffer loses none.
long trace_read(struct trace *t, uint64_t ubuf, size_t n, bool nonblock) {
  if (n < sizeof(struct proc_event))
    return -EINVAL;
  while (t->qlen == 0) {
    if (!t->target)
      return -ESRCH; // the exit event has been read
    if (nonblock)
      return -EAGAIN;
    t->reader = myproc();
    int r = sleep_on(t);
    t->reader = NULL;
    if (r < 0)
      return r;
  }
  size_t got = 0;
  bool was_full = t->qlen == TRACE_QUEUE;
  while (t->qlen && got + sizeof(struct proc_event) <= n) {
    if (copyout(ubuf + got, &t->q[t->qhead], sizeof(struct proc_event)) < 0)
      break;
    t->qhead = (t->qhead + 1) & (TRACE_QUEUE - 1);
    t->qlen--;
    got += sizeof(struct proc_event);
  }
  if (was_full && got)
    wakeup(&t->qlen); // a tracee may be waiting for room (queue_slot)
  return got ? (long)got : -EFAULT;
}

long trace_write(struct trace *t, uint64_t ubuf, size_t n) {
  uint64_t v;
  if (n != sizeof v)
    return -EINVAL;
  if (copyin(&v, ubuf, sizeof v) < 0)
    return -EFAULT;
  if (v & ~(uint64_t)PROC_TRACE_FLAGS)
    return -EINVAL;
  struct proc *p = t->target;
  if (!p)
    return -ESRCH;
  p->tracee.stops = v & ~(uint64_t)(PROC_FLAG_IGNORE | PROC_STOP_INTERRUPT);
  release_frozen(t);
  if (v & PROC_STOP_INTERRUPT) { // stop as soon as possible, as attach with O_TRUNC does
    p->tracee.interrupt = true;
    proc_interrupt(p);
  }
  if (p->state == P_TRACED && !p->tracee.frozen)
    resume(p, v);
  return n;
}

void trace_detach(struct trace *t) {
  struct proc *p = t->target;
  release_frozen(t);
  if (p) {
    bool job_stop = p->tracee.job_stop;
    p->tracee.job_stop = false;
    untrace(p);
    if (p->state == P_TRACED) // continue exactly where it was: running, or job-stopped
      p->state = job_stop ? P_STOPPED : P_RUNNABLE;
    if (t->kill_on_close)
      proc_kill(p);
  }
  wakeup(&t->qlen);
  kfree(t);
}

int trace_poll(struct trace *t) {
  t->polled = true; // from now on every event wakes the pollers
  return POLLOUT | (t->qlen ? POLLIN : 0) | (!t->target ? POLLHUP : 0);
}

uint64_t trace_session_id(const struct tracee *te) { return te->session ? te->session->id : 0; }

// proc:PID/sysfilter: the set of syscall numbers that stop (a 512-bit bitmap, 64 bytes).
// It belongs to session id (trace_session_id when the file was opened): a descriptor
// kept from an earlier session has no say over a later one's filter.
long trace_sysset_write(struct tracee *te, uint64_t id, const void *buf, size_t n) {
  if (!te->session || te->session->id != id)
    return -EPERM;
  if (n != sizeof te->sysset)
    return -EINVAL;
  memcpy(te->sysset, buf, n);
  return n;
}
