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
#include "ptrace.h"
#include "regs.h"
#include "signal.h"
#include "trace.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/procabi.h>

#define TRACE_QUEUE 64 // a power of two: the ring's indices wrap with a mask
_Static_assert((TRACE_QUEUE & (TRACE_QUEUE - 1)) == 0, "TRACE_QUEUE is a power of two");

// A tracing session: the tracer's end, one per open proc:PID/trace, or one per tracee
// of a ptrace(2) tracer (owner). What the target stops on is its own (struct tracee):
// the session carries the events and the handle.
struct trace {
  uint64_t id;              // this session's number: no two sessions share one
  struct proc *target;      // NULL once the target has exited
  bool kill_on_close;       // opened with O_EXCL, or ptrace's EXITKILL
  // A session owned by a process (ptrace), not by an open file: the owner reads its
  // events with wait4 (ptrace_wait), and the session ends with the owner's detach, the
  // owner's exit, or the owner's wait that reports the target's exit.
  struct proc *owner;       // NULL: a proc:PID/trace session; else the tracer thread
  struct trace *owned_next; // the other sessions of the owner's group (leader->ptraced)
  int pid;                  // the target's pid, still known after its exit
  uint32_t options;         // ptrace's PTRACE_O_* (which clones are followed, ...)
  bool seized;              // PTRACE_SEIZE: no legacy SIGTRAP at exec, EVENT_STOPs
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
  if (t->owner) { // a ptrace tracer waits in wait4, on its process's leader
    const struct proc_event *ev = &t->q[(t->qhead + t->qlen - 1) & (TRACE_QUEUE - 1)];
    ptrace_notify(t->owner, t->pid, t->target, ev); // (its SIGCHLD)
    wakeup(t->owner->leader);
    cpu.handoff = t->owner;
    return;
  }
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
  te->msg = a;
  p->state = P_TRACED;
  sched(); // until trace_write() or SIGKILL (or the tracer going away) wakes us
  te->cause = 0;
  te->listening = false;
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
    // ptrace(2) then reports execve's exit, as Linux, orig_rax saying execve (a proc:
    // session's exec stop is the call's exit stop).
    if (te->session && te->session->owner && (stops & PROC_STOP_POST_SYSCALL) && !p->killed) {
      tf->orig_rax = nr;
      trace_stop(PROC_STOP_POST_SYSCALL, nr, tf->rax, 0, 0, 0, 0);
    }
  } else if ((stops & PROC_STOP_POST_SYSCALL) && !p->killed) {
    trace_stop(PROC_STOP_POST_SYSCALL, nr, tf->rax, 0, 0, 0, 0);
  }
  // (A step asked for at the stops above starts now, with the next instruction.)
  if (stepping && te->step)
    step_done(tf);
}

// Signal delivery: the tracer sees the signal first and may drop it, or replace it
// (PROC_RESUME_SIGNAL). Returns the signal to act on, 0 to drop it. SIGKILL is never
// stopped on. The tracer may read and change info during the stop (ptrace's
// GETSIGINFO/SETSIGINFO).
// The event carries what the signal's siginfo says: c = si_code, d = si_pid, e = si_uid,
// f = si_status (SIGCHLD) or the fault address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
int trace_signal(int sig, uint64_t handler, struct siginfo_k *info) {
  if (sig == SIGKILL || !wants(PROC_STOP_SIGNAL))
    return sig;
  struct tracee *te = &myproc()->tracee;
  uint64_t f = sig == SIGCHLD ? (uint64_t)info->status : info->addr;
  te->siginfo = info;
  uint64_t r = trace_stop(PROC_STOP_SIGNAL, sig, handler, (uint64_t)(int64_t)info->code,
                          info->pid, info->uid, f);
  te->siginfo = NULL;
  if ((r & PROC_FLAG_IGNORE) || myproc()->killed)
    return 0; // (killed: SIGKILL comes next)
  return PROC_RESUME_SIGNAL_OF(r) ? PROC_RESUME_SIGNAL_OF(r) : sig;
}

// A stop signal's default action: with PROC_STOP_GROUP the process stops for its tracer
// instead of for job control (true). A listening tracer (ptrace's LISTEN) that a new
// signal woke hears of it with a PROC_STOP_INTERRUPT at once.
bool trace_group_stop(int sig) {
  struct proc *p = myproc();
  if (!wants(PROC_STOP_GROUP))
    return false;
  p->stop_sig = sig;
  if (p->tracee.session->owner) // ptrace: a detach in this stop (or after a LISTEN and
    p->tracee.job_stop = true;  // INTERRUPT) leaves the process stopped, as Linux
  trace_stop(PROC_STOP_GROUP, sig, 0, 0, 0, 0, 0);
  if (p->tracee.interrupt && !p->killed) {
    p->tracee.interrupt = false;
    trace_stop(PROC_STOP_INTERRUPT, p->pid, 0, 0, 0, 0, 0);
  }
  return true;
}

// A signal came for p. A tracee its ptrace tracer let listen (LISTEN) leaves its group
// stop to report it (PROC_STOP_INTERRUPT), as Linux's does.
void trace_signal_sent(struct proc *p) {
  if (p->state == P_TRACED && p->tracee.listening) {
    p->tracee.listening = false;
    p->tracee.interrupt = true;
    p->tracee.resume = 0;
    p->state = P_RUNNABLE;
  }
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
  te->listening = false;
}

// An exec succeeded: a traced process stops for it at the system call's exit. A ptrace
// tracee that was attached without SEIZE and asked for no exec event gets Linux's
// legacy SIGTRAP instead.
void trace_exec(struct tracee *te) {
  struct trace *t = te->session;
  te->exec_stop = t != NULL;
  if (t && t->owner && !t->seized && !(t->options & PTRACE_O_TRACEEXEC)) {
    struct siginfo_k info = {.signo = SIGTRAP, .code = SI_USER};
    signal_send(myproc(), &info);
  }
}

// ---- sessions owned by a process (ptrace) ----
// A tracee's tracer is the thread that attached, but a wait from any thread of its group
// sees it: the sessions are listed on the group's leader, so the wait path walks what
// the tracer's group traces, not the process table.
static void own(struct trace *t, struct proc *owner) {
  t->owner = owner;
  t->owned_next = owner->leader->ptraced;
  owner->leader->ptraced = t;
}

static void disown(struct trace *t) {
  for (struct trace **pp = &t->owner->leader->ptraced; *pp; pp = &(*pp)->owned_next)
    if (*pp == t) {
      *pp = t->owned_next;
      return;
    }
}

// SIGCONT came for p's group: a job stop that the tracer took over (attach with O_TRUNC)
// is over, and closing the session lets the process run. A ptrace tracee attached with
// SEIZE reports the continue with an EVENT_STOP, as Linux's: at once if it listens
// (LISTEN), else at its next safe point (a stopped one once resumed).
void trace_job_continued(struct proc *p) {
  struct trace *t = p->tracee.session;
  p->tracee.job_stop = false;
  if (!t || !t->owner || !t->seized)
    return;
  if (p->state == P_TRACED && p->tracee.listening)
    trace_signal_sent(p);
  else if (p->state == P_TRACED)
    p->tracee.interrupt = true; // (reported when its tracer resumes it)
  else
    trace_request_stop(p);
}

void trace_exit(int status) {
  struct proc *p = myproc();
  struct trace *t = p->tracee.session;
  if (t && wants(PROC_STOP_EXIT))
    trace_stop(PROC_STOP_EXIT, status, 0, 0, 0, 0, 0);
  trace_owner_exit(p); // a ptrace tracer's tracees are let go (or killed: EXITKILL)
  if (!(t = p->tracee.session))
    return;
  // A process's exit that its parent traces: the parent's wait4 reports it, once. (The
  // parent never hears of another thread's: that is its tracer's.)
  if (t->owner && p == p->leader && t->owner->leader == p->parent) {
    untrace(p);
    disown(t);
    kfree(t);
    return;
  }
  struct proc_event ev = {PROC_EVENT_EXITED, status, 0, 0, 0, 0, 0};
  enqueue(t, &ev);
  if (p->tracee.session == t) // (the tracer may have closed the session meanwhile)
    t->target = NULL;
  untrace(p);
}

// Does a ptrace session follow a clone with these flags (its options)?
static bool follows(const struct trace *t, uint64_t flags) {
  if (flags & CLONE_VFORK)
    return t->options & PTRACE_O_TRACEVFORK;
  if ((flags & CSIGNAL) != SIGCHLD)
    return t->options & PTRACE_O_TRACECLONE;
  return t->options & PTRACE_O_TRACEFORK;
}

// A ptrace tracer follows the child: it is traced by the same tracer, with the same
// options, from a first stop (a SIGSTOP stop; SEIZE: an interrupt stop) that is
// reported before the child runs at all.
static bool follow_child(struct trace *t, struct proc *child) {
  struct trace *ct;
  if (trace_attach_owned(child, t->owner, t->options, t->seized, &ct) < 0)
    return false; // no memory: the child runs untraced (Linux: the clone fails)
  uint64_t cause = t->seized ? PROC_STOP_INTERRUPT : PROC_STOP_SIGNAL;
  uint64_t a = t->seized ? (uint64_t)child->pid : SIGSTOP;
  child->tracee.cause = cause;
  child->tracee.msg = a;
  child->state = P_TRACED;
  struct proc_event ev = {cause, a, 0, SI_USER, 0, 0, 0};
  ct->q[ct->qlen++] = ev;
  queued(ct);
  return true;
}

// A traced process made a child. With EVENT_CLONE the child starts held in a trace
// stop, until its own trace is opened or the parent's session is written to; a ptrace
// tracer that follows this kind of clone traces the child too. Then, with
// PROC_STOP_CLONE, the parent stops (a = the child's pid). Returns true if the child's
// state is decided here (held or traced), false if the caller makes it runnable.
bool trace_clone(struct proc *child, uint64_t flags) {
  struct trace *t = myproc()->tracee.session;
  bool held = false;
  if (t && t->owner) {
    if (!follows(t, flags) || !(held = follow_child(t, child)))
      return false;
  } else if (wants(PROC_EVENT_CLONE)) {
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
    // b: PROC_CLONE_THREAD for a new thread of the tracee's process; c: its process's id.
    uint64_t kind = child->tgid == myproc()->tgid ? PROC_CLONE_THREAD : 0;
    *ev = (struct proc_event){PROC_EVENT_CLONE, child->pid, kind, child->tgid, 0, 0, 0};
    queued(t);
    if ((held = child->tracee.frozen != NULL))
      child->state = P_TRACED;
  }
  if (wants(PROC_STOP_CLONE))
    trace_stop(PROC_STOP_CLONE, child->pid, flags, 0, 0, 0, 0);
  return held;
}

// A vfork parent runs again (its child exec'd or exited).
void trace_vfork_done(int child_pid) {
  if (wants(PROC_STOP_VFORK_DONE))
    trace_stop(PROC_STOP_VFORK_DONE, child_pid, 0, 0, 0, 0, 0);
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

static struct trace *new_session(struct proc *p) {
  static uint64_t last_id;
  struct trace *t = kmalloc(sizeof *t);
  if (!t)
    return NULL;
  memset(t, 0, sizeof *t);
  t->id = ++last_id;
  t->target = p;
  t->pid = p->pid;
  memset(p->tracee.sysset, 0xff, sizeof p->tracee.sysset);
  p->tracee.session = t;
  return t;
}

// A session owned by process owner (ptrace's ATTACH, SEIZE, TRACEME, followed children).
// The target does not stop now; -EPERM if it is traced already (either door).
int trace_attach_owned(struct proc *p, struct proc *owner, uint32_t options, bool seize,
                       struct trace **out) {
  if (p->tracee.session || p->tracee.frozen)
    return -EPERM;
  struct trace *t = new_session(p);
  if (!t)
    return -ENOMEM;
  own(t, owner);
  t->options = options;
  t->kill_on_close = options & PTRACE_O_EXITKILL;
  t->seized = seize;
  *out = t;
  return 0;
}

// A job-stopped target (SIGSTOP) is in a trace stop at once: SIGCONT will not end it,
// its tracer's resume does, and a detach without resume leaves it job-stopped.
void trace_take_job_stop(struct proc *p, uint64_t cause, uint64_t a) {
  struct trace *t = p->tracee.session;
  p->state = P_TRACED;
  p->tracee.cause = cause;
  p->tracee.msg = a;
  p->tracee.job_stop = true;
  struct proc_event ev = {cause, a, 0, 0, 0, 0, 0};
  t->q[(t->qhead + t->qlen++) & (TRACE_QUEUE - 1)] = ev;
  queued(t);
}

int trace_attach(struct proc *p, int flags, struct trace **out) {
  struct tracee *te = &p->tracee;
  if (te->session)
    return -EBUSY;
  struct trace *t = new_session(p);
  if (!t)
    return -ENOMEM;
  t->kill_on_close = flags & O_EXCL;
  *out = t;
  if (te->frozen) { // a followed child: it is already stopped, now for us
    te->frozen = NULL;
    struct proc_event ev = {PROC_STOP_INTERRUPT, p->pid, 0, 0, 0, 0, 0};
    t->q[t->qlen++] = ev;
  } else if ((flags & O_TRUNC) && p->state == P_STOPPED) {
    trace_take_job_stop(p, PROC_STOP_INTERRUPT, p->pid);
  } else if (flags & O_TRUNC) {
    trace_request_stop(p);
  }
  return 0;
}

// Ask p to stop as soon as it can (PROC_STOP_INTERRUPT): a blocking call is interrupted
// and restarts on resume; any other stop that comes first answers the request.
void trace_request_stop(struct proc *p) {
  p->tracee.interrupt = true;
  proc_interrupt(p);
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
  if (v & ~(PROC_TRACE_FLAGS | PROC_RESUME_SIGNAL_MASK) || PROC_RESUME_SIGNAL_OF(v) > NSIG)
    return -EINVAL;
  if (!t->target)
    return -ESRCH;
  trace_resume(t->target, v);
  return n;
}

// Both doors' resume: v (checked) becomes the stops asked for, and a target in a trace
// stop runs again with v (the resume flags: IGNORE, a signal).
void trace_resume(struct proc *p, uint64_t v) {
  p->tracee.stops = v & PROC_TRACE_FLAGS & ~(uint64_t)(PROC_FLAG_IGNORE | PROC_STOP_INTERRUPT);
  struct trace *t = p->tracee.session;
  if (t)
    release_frozen(t);
  if (v & PROC_STOP_INTERRUPT) {
    // A stop request never resumes: a target in a trace stop stays in it, and that stop
    // (whose event is queued or was read) answers the request. So a debugger stopping
    // every thread (all-stop, docs/proc.md) loses no thread's breakpoint or signal.
    if (p->state != P_TRACED) // stop as soon as possible, as attach with O_TRUNC does
      trace_request_stop(p);
    return;
  }
  if (t && t->owner && p->state == P_TRACED)
    t->qlen = 0; // a ptrace stop not yet reported by wait4 is over: never reported
  if (p->state == P_TRACED && !p->tracee.frozen)
    resume(p, v);
}

// ptrace's LISTEN: the target stays in its group stop, but a new signal wakes it to
// report (trace_signal_sent).
void trace_listen(struct proc *p) {
  p->tracee.stops |= PROC_STOP_GROUP | PROC_STOP_SIGNAL;
  p->tracee.listening = true;
  p->tracee.session->qlen = 0;
  if (p->tracee.interrupt) // a SIGCONT came during the stop (trace_job_continued): strace
    trace_signal_sent(p);   // SEIZEs its job-stopped child, sends SIGCONT, then LISTENs
}

void trace_detach(struct trace *t) {
  struct proc *p = t->target;
  release_frozen(t);
  if (t->owner)
    disown(t);
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

struct proc *trace_owner(const struct tracee *te) { return te->session ? te->session->owner : NULL; }
uint32_t trace_options(const struct tracee *te) { return te->session ? te->session->options : 0; }
bool trace_seized(const struct tracee *te) { return te->session && te->session->seized; }

void trace_set_options(struct tracee *te, uint32_t options) {
  te->session->options = options;
  te->session->kill_on_close = options & PTRACE_O_EXITKILL;
}

// The live target with this pid of one of owner's sessions, or NULL (a tracee of another
// thread of the group is not ours to command: Linux's ptrace_check_attach).
struct proc *trace_owned_target(const struct proc *owner, int pid) {
  for (const struct trace *t = owner->leader->ptraced; t; t = t->owned_next)
    if (t->pid == pid && t->owner == owner)
      return t->target;
  return NULL;
}

// The owner thread exits: its tracees are let go where they are, or killed (EXITKILL);
// those of the group's other threads stay theirs.
void trace_owner_exit(struct proc *owner) {
  struct trace **pp = &owner->leader->ptraced;
  while (*pp) {
    if ((*pp)->owner == owner)
      trace_detach(*pp); // (unlinks *pp)
    else
      pp = &(*pp)->owned_next;
  }
}

// exec by a thread that takes its leader's place: the group's sessions (by then only
// the exec'ing thread's: the others' went with them) move to it.
void trace_owner_new_leader(struct proc *p, struct proc *old) {
  p->ptraced = old->ptraced;
  old->ptraced = NULL;
}

// The next event of the sessions of tracer's group whose target matches
// (match(pid, target or NULL, owner thread)), taken off its queue unless !consume
// (WNOWAIT). Returns the target's pid and sets *r, or 0 (*have: some session matched).
// !exits (a waitid without WEXITED) leaves exit events queued. A session whose exit
// event this takes is over: it is freed.
// A stop is reportable while the target is in it: one that SIGKILL ended is not.
static bool stale(const struct trace *t, const struct proc_event *ev) {
  return ev->cause != PROC_EVENT_EXITED && (!t->target || t->target->state != P_TRACED);
}

int trace_owned_event(struct proc *tracer,
                      bool (*match)(int pid, const struct proc *t, const struct proc *owner,
                                    void *arg),
                      void *arg, bool consume, bool exits, struct trace_report *r, bool *have) {
  for (struct trace *t = tracer->leader->ptraced; t; t = t->owned_next) {
    if (!match(t->pid, t->target, t->owner, arg))
      continue;
    *have = true;
    while (t->qlen) {
      r->ev = t->q[t->qhead];
      bool drop = stale(t, &r->ev);
      if (!drop && !exits && r->ev.cause == PROC_EVENT_EXITED)
        break; // an exit this wait does not ask for: it stays queued
      if (!drop) {
        r->pid = t->pid, r->options = t->options, r->seized = t->seized;
        r->uid = t->target ? t->target->ruid : 0;
        if (!consume)
          return r->pid;
      }
      t->qhead = (t->qhead + 1) & (TRACE_QUEUE - 1);
      if (t->qlen-- == TRACE_QUEUE)
        wakeup(&t->qlen); // a tracee may be waiting for room (queue_slot)
      if (drop)
        continue;
      if (r->ev.cause == PROC_EVENT_EXITED) {
        disown(t);
        kfree(t);
      }
      return r->pid;
    }
  }
  return 0;
}

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
