// Processes (proc.c): the process table, the scheduler, sleeping and waking, and the
// life of a process (fork, exit, wait). The saved user registers are in regs.h, an
// address space in vm.h.
//
// Locking: Vitrine runs on one CPU and the kernel is not preemptible: interrupts are off
// whenever the CPU is in kernel mode (the syscall entry masks IF, interrupt gates clear
// it), except in the scheduler's idle loop. Kernel code therefore runs to completion
// until it sleeps, and that is the lock for every field below. Interrupt handlers touch
// only the fields marked "IRQ".
#pragma once
#include "types.h"
#include "x86.h"
#include "signal.h"
#include "trace.h"

struct trapframe;
struct vm;
struct file;
struct trace;

#define KSTACK_SIZE (4 * PAGE_SIZE)
#define NOFILE 256    // descriptors per process
#define NPROC 128     // process table size
#define NGROUPS 32    // supplementary groups per process
#define MAX_USER_PROCS 96 // per real uid (not root): fork bombs fail with EAGAIN
#define NRLIMIT 16        // Linux's RLIMIT_* count
#define RLIMIT_STACK 3
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY UINT64_MAX

// clone(2) flags (Linux's values) that proc_clone() honours. CLONE_VM shares the address
// space (counted references in struct vm), CLONE_FILES the descriptor table, CLONE_FS
// cwd and umask, CLONE_SIGHAND the handlers (each a counted struct below); CLONE_THREAD
// makes a thread of the caller's group (docs/threads.md). With CLONE_VFORK the parent
// waits until the child execs or exits. CLONE_SYSVSEM is accepted (no System V
// semaphores here).
#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
                         CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | \
                         CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
                         CLONE_DETACHED | CLONE_CHILD_SETTID)
// wait4(2) and waitid(2) options, Linux's values (WSTOPPED is WUNTRACED).
#define WNOHANG 1
#define WUNTRACED 2
#define WSTOPPED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000

// P_STOPPED: a job-control stop (SIGSTOP...). P_TRACED: a trace stop (trace.c).
// The two are independent: SIGCONT never ends a trace stop.
// P_DEAD: a thread that has exited and that nobody waits for; freed by the next
// proc_reap_threads() once the CPU has left its stack.
enum procstate { P_UNUSED, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_STOPPED, P_TRACED, P_ZOMBIE,
                 P_DEAD };

// What the threads of a group (or processes cloned with CLONE_FILES, CLONE_FS,
// CLONE_SIGHAND) share: each is counted, and freed with its last reference.
struct fdtable {             // the descriptor table
  int refs;
  struct file *files[NOFILE];
  uint64_t cloexec[NOFILE / 64];
  uint64_t reserved[NOFILE / 64]; // set aside by an open in progress (file.c)
};
struct fsinfo {              // the working directory and umask
  int refs;
  char *cwd;                 // absolute, clean path
  uint32_t umask;
};
struct sighand {             // the signal handlers
  int refs;
  struct sigaction_k act[NSIG];
};

// A struct proc is one thread (Linux's task). A process is a thread group: the threads
// with the same tgid, whose leader (tgid == pid) stays in the table until the last one
// is gone, as Linux's does; it is what wait4, getppid and proc: listings see.
struct proc {
  int pid;                   // the thread id (gettid)
  int tgid;                  // the group's id (getpid): the leader's pid
  struct proc *leader;       // the group leader (itself for a leader)
  int nthreads;              // leader only: threads of the group not yet exited
  bool group_exit;           // leader only: exit_group or a fatal signal ends them all
  int group_status;          // leader only: the wait status the group ends with
  enum procstate state;
  char name[16];             // the comm: basename of the program, or PR_SET_NAME
  uint8_t *kstack;           // KSTACK_SIZE bytes; the trapframe sits at the top
  struct trapframe *tf;
  uint64_t ctx_rsp;          // kernel rsp saved by swtch() while not running
  struct vm *vm;
  struct proc *parent;
  void *chan;                // what a sleeping process waits for
  struct proc *sleep_prev, *sleep_next; // the list of sleeping processes (proc.c)
  uint64_t wake_tick;        // a sleeping process with a timeout wakes at this tick (IRQ)
  bool killed;               // deliver SIGKILL at the next return to user
  int wake_reason;           // what sleep_on() returns: 0, or -EINTR if interrupted
  bool sleep_nosig;          // in sleep_nosig(): only SIGKILL interrupts
  // Signals (signal.c). Bit (sig - 1) of each mask stands for signal sig.
  uint64_t pending;          // generated, not yet delivered (one of each: no queueing)
  uint64_t blocked;          // rt_sigprocmask
  uint64_t saved_mask;       // sigsuspend: the mask to restore after the handler
  bool restore_mask;
  struct siginfo_k siginfo[NSIG]; // why each pending signal was sent
  uint16_t rtqueued[NSIG - SIGRTMIN + 1]; // how many of each real-time signal wait
  uint64_t sigwait;          // rt_sigtimedwait: the signals being waited for
  struct restart_block restart; // how an interrupted timed call goes on
  uint64_t altstack_sp, altstack_size;
  int altstack_flags;
  // Job control: a stopped process sleeps in P_STOPPED until SIGCONT or SIGKILL.
  int stop_sig;              // the signal that stopped it
  bool group_stop;           // asked to join its group's stop (with stop_sig): the pending
                             // SIGSTOP that carries the request is no signal of its own
  bool stop_report;          // a stop the parent has not seen with WUNTRACED yet
  bool cont_report;          // a continue the parent has not seen with WCONTINUED yet
  int pgid, sid;             // process group and session
  // proc: handles check (pid, gen): a new gen at fork and at every exec, so a handle
  // never outlives the program it was opened on.
  uint64_t gen;
  bool dumpable;             // false if the last exec left euid != ruid or egid != rgid
  bool did_exec;             // has exec'd since fork (setpgid's EACCES)
  // Process-wide (Linux's signal_struct): the leader's copy is the one in force and
  // every thread reads and sets it through p->leader; a thread's own copy is unused.
  uint32_t personality;      // personality(2): kept and reported, changes nothing
  uint64_t rlim[NRLIMIT][2]; // resource limits, soft and hard; only RLIMIT_NOFILE acts
  uint64_t arg_start, arg_end; // the argument strings, for proc:PID/cmdline
  uint64_t start_ticks;
  uint64_t cpu_ticks;        // timer ticks that found this process running (IRQ)
  struct ptimers *timers;    // leader only: the process's interval and POSIX timers
                             // (timer.c), or NULL (IRQ)
  uint64_t group_ticks;      // leader only: cpu_ticks of all its threads (ITIMER_VIRTUAL)
  struct tracee tracee;      // its traced side: only through trace.h
  struct trace *ptraced;     // leader only: the sessions its group's threads own as
                             // ptrace tracers (trace.c)
  uint64_t debug_dr6;        // DR6 at the last debug trap
  uint64_t dr[4], dr7;       // debug registers (proc:PID/regs/debug), loaded at switch
  int exit_status;           // wait status (Linux encoding) once a zombie
  struct fdtable *fdt;       // shared with CLONE_FILES
  struct fsinfo *fs;         // shared with CLONE_FS
  struct sighand *sighand;   // shared with CLONE_SIGHAND
  char *exe;                 // path of the running program
  uint32_t ruid, euid, suid, rgid, egid, sgid; // the same in every thread (proc_share_creds)
  uint32_t groups[NGROUPS];  // supplementary groups
  int ngroups;
  uint64_t clear_child_tid;  // set_tid_address / CLONE_CHILD_CLEARTID
  uint64_t robust_list;      // set_robust_list: walked at exit (futex.c)
  struct {                   // a FUTEX_WAIT in progress: on futex.c's list of waiters
    struct vm *vm;
    uint64_t uaddr;
    uint32_t bitset;
    bool woken;
    struct proc *next;
  } futex;
  bool vfork_pending;        // the parent waits (vfork) until this child execs or exits
  uint8_t fpu[512] __attribute__((aligned(16))); // FXSAVE image
};

struct cpu {
  struct proc *proc;         // running process, or NULL in the scheduler
  uint64_t sched_rsp;        // the scheduler's saved kernel rsp
  struct proc *fpu_owner;    // whose registers are live in the FPU/SSE unit
  bool dr_loaded;            // DR7 holds some process's enables
  // A synchronous hand-over (trace.c): the process the next sched() runs if it is
  // runnable, ahead of the round robin. A tracee that stops hands the CPU to the
  // tracer waiting for its event, and a tracer that resumed its tracee and then waits
  // hands it back. Cleared when used, and when that process is freed.
  struct proc *handoff;
};
extern struct cpu cpu;
extern struct proc *proctab[NPROC];

static inline struct proc *myproc(void) { return cpu.proc; }

// The process in proctab[slot] if it is still the one of generation gen: proc: handles
// find their target in one step. A slot holds a live process or NULL, and gens are
// never reused, so (slot, gen) can only find the process it was taken from.
static inline struct proc *proc_at(int slot, uint64_t gen) {
  struct proc *p = slot >= 0 && slot < NPROC ? proctab[slot] : NULL;
  return p && p->gen == gen && p->state != P_UNUSED ? p : NULL;
}

uint64_t proc_new_gen(void);
struct proc *proc_alloc(void);
void proc_free(struct proc *p);
struct proc *proc_find(int pid);
int proc_slot(const struct proc *p);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
int sleep_on(void *chan);                 // 0, or -ERESTARTSYS: a signal interrupted it
int sleep_until(void *chan, uint64_t tick);
void wakeup(void *chan);
int sleep_nosig(void *chan);
void proc_wake(struct proc *p, int reason);
void proc_interrupt(struct proc *p);      // as a signal does; never a sleep_nosig()
void wake_timers(void);
void proc_exit(int status) __attribute__((noreturn));   // the whole group (exit_group)
void thread_exit(int status) __attribute__((noreturn)); // this thread (exit)
int proc_exec_alone(void);
void proc_reap_threads(void);
void proc_share_creds(struct proc *p);
void proc_set_pgrp(struct proc *p, int pgid, int sid);
int proc_init_shared(struct proc *p);
int proc_unshare_for_exec(struct proc *p);
struct sighand *sighand_get(struct sighand *sh, bool share);
void sighand_put(struct sighand *sh);
// The threads of p's group, for (struct proc *t = ...): each live one (not exited).
struct proc *thread_next(const struct proc *p, struct proc *after);
#define for_each_thread(t, p) for (struct proc *t = thread_next(p, NULL); t; t = thread_next(p, t))
void proc_kill(struct proc *p);
void vfork_release(struct proc *p);
long proc_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid, uint64_t tls);
// waitid(2)'s selectors.
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
// What a wait found: the child, its wait status (wait4's encoding) and the same as
// waitid's siginfo tells it (si_code CLD_*, si_status).
struct waitres {
  int pid;
  uint32_t uid;
  int status;
  int code, si_status;
};
long proc_wait(int pid, int options, int *status);
long proc_waitid(int idtype, int id, int options, struct waitres *res);
void waitres_exit(struct waitres *r, int st);
int user_proc_count(uint32_t ruid);
extern struct proc *initproc;
extern uint64_t idle_ticks;
int last_pid(void);
#define PID_MAX 32768 // pids go 1..PID_MAX-1, then wrap (/proc/sys/kernel/pid_max)
