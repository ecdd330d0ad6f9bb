// The trace engine: a tracing session (proc:PID/trace, private to trace.c), the traced
// side of a process (struct tracee), and the safe points where a traced process stops.
// See docs/proc.md.
#pragma once
#include "types.h"
#include <vitrine/procabi.h>

struct proc;
struct trapframe;
struct siginfo_k;
struct trace;

// The traced side of a process: what the trace engine keeps about it between two
// stops. Its registers are not here: they are in its trapframe. It is embedded in struct
// proc and will be per thread: each thread stops, steps and resumes on its own. Only
// trace.c and the inlines below touch it; the rest of the kernel asks through them.
// Locking: as for struct proc: one CPU, and kernel code runs until it sleeps. The tracee
// changes these fields at its safe points; its tracer (trace.c's tracer side) only while
// the tracee is not running (stopped, asleep, or waiting for the CPU). So the tracee
// reads them again after anything that may sleep: trace_syscall_done asks the stops
// again after the call. Invariant: with no session, stops, step, interrupt, exec_stop and job_stop
// are clear.
struct tracee {
  struct trace *session;     // the session tracing it, or NULL: traced or not is this
  uint64_t stops;            // the stops asked for (PROC_STOP_*, PROC_EVENT_CLONE)
  uint64_t sysset[8];        // syscall numbers that stop (bit set); all when attached
  uint64_t cause;            // why it is in P_TRACED (PROC_STOP_*), else 0
  uint64_t resume;           // what the tracer wrote when it last resumed it
  struct trace *frozen;      // a followed child, held until its tracer is ready
  bool step;                 // TF in the frame is the kernel's, for a single step
  bool interrupt;            // the tracer asked for a stop (O_TRUNC): stop when it can
  bool exec_stop;            // an exec just succeeded: PROC_STOP_EXEC at the call's exit
  bool job_stop;             // the trace stop began as a job stop (SIGSTOP) that no
                             // SIGCONT or resume has ended: detaching keeps it stopped
  bool listening;            // ptrace's LISTEN: in a group stop that a signal ends
  uint64_t msg;              // the last stop's event word a (ptrace's GETEVENTMSG)
  struct siginfo_k *siginfo; // during a signal stop: the signal's siginfo, else NULL
};

static inline bool trace_attached(const struct tracee *t) { return t->session != NULL; }
static inline struct trace *trace_session(const struct tracee *t) { return t->session; }
// TF in the frame was set by the kernel: it is not the program's (fork, signal frames,
// debug registers: regs.c).
static inline bool trace_stepping(const struct tracee *t) { return t->step; }
// A stop asked for with O_TRUNC or PROC_STOP_INTERRUPT waits for the return to user mode.
static inline bool trace_interrupt_pending(const struct tracee *t) { return t->interrupt; }
// Why the process is in P_TRACED (proc:PID/status), 0 if it is not.
static inline uint64_t trace_stop_cause(const struct tracee *t) { return t->cause; }
void trace_exec(struct tracee *t);

// The tracer's side: a session is made by opening proc:PID/trace (procfs.c).
int trace_attach(struct proc *target, int flags, struct trace **out);
long trace_read(struct trace *t, uint64_t ubuf, size_t n, bool nonblock); // user buffers
long trace_write(struct trace *t, uint64_t ubuf, size_t n);
void trace_detach(struct trace *t);
int trace_poll(struct trace *t);
long trace_sysset_write(struct tracee *t, uint64_t id, const void *buf, size_t n); // sysfilter
uint64_t trace_session_id(const struct tracee *t); // 0: none; never the same twice
void trace_job_continued(struct proc *p);           // SIGCONT

// Sessions owned by a process rather than a file: ptrace(2)'s door (ptrace.c).
int trace_attach_owned(struct proc *target, struct proc *owner, uint32_t options, bool seize,
                       struct trace **out);
void trace_take_job_stop(struct proc *p, uint64_t cause, uint64_t a);
void trace_request_stop(struct proc *p);         // PROC_STOP_INTERRUPT, as soon as it can
void trace_resume(struct proc *p, uint64_t v);   // v: stops and resume flags, checked
void trace_listen(struct proc *p);
void trace_set_options(struct tracee *t, uint32_t options);
static inline void trace_set_stops(struct tracee *t, uint64_t stops) { t->stops = stops; }
static inline uint64_t trace_event_msg(const struct tracee *t) { return t->msg; }
static inline struct siginfo_k *trace_stop_siginfo(const struct tracee *t) { return t->siginfo; }
struct proc *trace_owner(const struct tracee *t); // the ptrace tracer, or NULL
uint32_t trace_options(const struct tracee *t);
bool trace_seized(const struct tracee *t);
void trace_owner_exit(struct proc *owner);
void trace_owner_new_leader(struct proc *p, struct proc *old);
struct proc *trace_owned_target(const struct proc *owner, int pid);
// One event of a session owned by a process, as its owner's wait4 reports it.
struct trace_report {
  int pid;             // the target's
  uint32_t uid;        // the target's real uid (0 once it is gone)
  uint32_t options;    // the session's (ptrace options)
  bool seized;
  struct proc_event ev;
};
int trace_owned_event(struct proc *tracer,
                      bool (*match)(int pid, const struct proc *t, const struct proc *owner,
                                    void *arg),
                      void *arg, bool consume, bool exits, struct trace_report *r, bool *have);
void trace_signal_sent(struct proc *p);

// The safe points (the syscall stops through trace_syscall, below).
bool trace_syscall_enter(struct trapframe *tf, uint64_t *nr); // true: skip the call
void trace_syscall_exit(struct trapframe *tf, uint64_t nr, uint64_t stops);
int trace_signal(int sig, uint64_t handler, struct siginfo_k *info); // the signal, 0: drop
bool trace_group_stop(int sig);                   // true: stopped for the tracer instead
void trace_exit(int status);
bool trace_clone(struct proc *child, uint64_t flags); // true: its state is decided
void trace_vfork_done(int child_pid);
bool trace_debug_trap(struct trapframe *tf, uint64_t dr6); // #DB: true if consumed
bool trace_breakpoint(struct trapframe *tf);      // #BP: true if consumed
void trace_return_to_user(void);
void trace_signal_delivered(void);
void trace_step_cancel(struct tracee *t, struct trapframe *tf); // TF goes with the step

// Which of the syscall stops (PROC_STOP_PRE_SYSCALL, PROC_STOP_POST_SYSCALL) t asks for at
// system call nr (0 with no session: then stops is 0).
static inline uint64_t trace_syscall_stops(const struct tracee *t, uint64_t nr) {
  uint64_t want = t->stops & (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL);
  if (want && nr < 512 && !(t->sysset[nr / 64] >> (nr % 64) & 1))
    return 0;
  return want;
}

// After system call nr of a traced process: its exit stop, the end of a step over the
// syscall instruction, or the exec stop, if one is due. The tracer can have changed the
// stops while the call blocked (or attached then, as on Linux): they are asked again.
static inline void trace_syscall_done(struct tracee *t, struct trapframe *tf, uint64_t nr) {
  uint64_t stops = trace_syscall_stops(t, nr);
  if (stops || t->step || t->exec_stop)
    trace_syscall_exit(tf, nr, stops);
}

// System call nr of a traced process, with the stops its tracer asked for around it;
// run(tf, nr) runs a call (syscall.c). Inline: under a filter (strace -e) most calls
// stop nowhere, and such a call must cost nearly nothing more than an untraced one.
static inline void trace_syscall(struct tracee *t, struct trapframe *tf, uint64_t nr,
                                 void (*run)(struct trapframe *tf, uint64_t nr)) {
  // At an entry stop the tracer may change the call (nr), or skip it: then rax stays
  // as the tracer left it.
  if (!(trace_syscall_stops(t, nr) & PROC_STOP_PRE_SYSCALL) || !trace_syscall_enter(tf, &nr))
    run(tf, nr);
  trace_syscall_done(t, tf, nr);
}
