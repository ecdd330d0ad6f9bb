// The process table, the scheduler, sleeping and waking, and the life of a process:
// fork, exit, wait.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "futex.h"
#include "kalloc.h"
#include "lib.h"
#include "panic.h"
#include "ipc.h"
#include "proc.h"
#include "ptrace.h"
#include "regs.h"
#include "signal.h"
#include "timer.h"
#include "trace.h"
#include "vm.h"
#include "x86.h"

struct cpu cpu;
struct proc *proctab[NPROC];
struct proc *initproc;
static int next_pid = 1;
static int nslots; // proctab[nslots..] are all empty
static uint64_t last_gen;
uint64_t idle_ticks; // timer ticks that found the CPU idle (IRQ)

int last_pid(void) { return next_pid - 1; }

uint64_t proc_new_gen(void) { return ++last_gen; }


struct proc *proc_find(int pid) {
  for (int i = 0; i < nslots; i++)
    if (proctab[i] && proctab[i]->pid == pid && proctab[i]->state != P_UNUSED &&
        proctab[i]->state != P_DEAD)
      return proctab[i];
  return NULL;
}

// The live thread of p's group after `after` in the table (NULL: the first), or NULL.
struct proc *thread_next(const struct proc *p, struct proc *after) {
  int i = after ? proc_slot(after) + 1 : 0;
  for (; i < nslots; i++) {
    struct proc *t = proctab[i];
    if (t && t->leader == p->leader && t->state != P_ZOMBIE && t->state != P_DEAD &&
        t->state != P_UNUSED)
      return t;
  }
  return NULL;
}

// Process group and session are the process's: every thread of p's group moves.
void proc_set_pgrp(struct proc *p, int pgid, int sid) {
  for_each_thread(t, p)
    t->pgid = pgid, t->sid = sid;
  p->pgid = pgid, p->sid = sid; // (p itself also when it is an exited leader)
}

// p's credentials become those of every thread of its group.
void proc_share_creds(struct proc *p) {
  for_each_thread(t, p) {
    t->ruid = p->ruid, t->euid = p->euid, t->suid = p->suid;
    t->rgid = p->rgid, t->egid = p->egid, t->sgid = p->sgid;
    memcpy(t->groups, p->groups, sizeof t->groups);
    t->ngroups = p->ngroups;
  }
}

// Free the exited threads nobody waits for, except the one whose stack we are on.
void proc_reap_threads(void) {
  for (int i = 0; i < nslots; i++)
    if (proctab[i] && proctab[i]->state == P_DEAD && proctab[i] != cpu.proc)
      proc_free(proctab[i]);
}

// ---- the shared parts: counted, and copied or shared at clone ----
static struct fsinfo *fs_get(struct fsinfo *fs, bool share) {
  if (share) {
    fs->refs++;
    return fs;
  }
  struct fsinfo *n = kmalloc(sizeof *n);
  if (n) {
    n->cwd = kstrdup(fs ? fs->cwd : "/");
    n->root = kstrdup(fs ? fs->root : "/");
  }
  if (n && (!n->cwd || !n->root)) {
    kfree(n->cwd);
    kfree(n->root);
    kfree(n);
    n = NULL;
  }
  if (n) {
    n->refs = 1;
    n->umask = fs ? fs->umask : 022;
  }
  return n;
}

static void fs_put(struct fsinfo *fs) {
  if (fs && --fs->refs == 0) {
    kfree(fs->cwd);
    kfree(fs->root);
    kfree(fs);
  }
}

// The handlers of every process that has set none (all SIG_DFL, as after an exec that
// found none ignored): one table for all of them and their forks, so that such a
// process costs no page for its handlers; a process gets a copy of its own before its
// first change (sighand_own). Never changed, never shared by CLONE_SIGHAND (clone
// gives the parent its own copy first), never freed: its refs never reach zero.
static struct sighand default_sighand = {.refs = 1};

struct sighand *sighand_get(struct sighand *sh, bool share) {
  if (share || sh == &default_sighand) {
    sh->refs++;
    return sh;
  }
  struct sighand *n = kmalloc(sizeof *n);
  if (n) {
    n->refs = 1;
    if (sh)
      memcpy(n->act, sh->act, sizeof n->act);
    else
      memset(n->act, 0, sizeof n->act);
  }
  return n;
}

void sighand_put(struct sighand *sh) {
  if (sh && --sh->refs == 0)
    kfree(sh);
}

// Before p's handlers change: a copy of the shared default table of its own. (A
// process using that table has no CLONE_SIGHAND sharers: only p changes.)
int sighand_own(struct proc *p) {
  if (p->sighand != &default_sighand)
    return 0;
  struct sighand *n = sighand_get(NULL, false);
  if (!n)
    return -ENOMEM;
  default_sighand.refs--;
  p->sighand = n;
  return 0;
}

// After exec reset the handlers: a process with its own table and none set takes the
// shared default one instead.
void sighand_exec(struct proc *p) {
  struct sighand *sh = p->sighand;
  if (sh == &default_sighand || sh->refs > 1)
    return;
  for (int i = 0; i < NSIG; i++)
    if (sh->act[i].handler != SIG_DFL)
      return;
  sighand_put(sh);
  p->sighand = sighand_get(&default_sighand, true);
}

// exec: a descriptor table or handlers still shared with another process (CLONE_FILES,
// CLONE_SIGHAND without CLONE_THREAD) become this one's own copies, as on Linux.
int proc_unshare_for_exec(struct proc *p) {
  struct fdtable *fdt = p->fdt->refs > 1 ? fdt_get(p->fdt, false) : NULL;
  struct sighand *sh = p->sighand->refs > 1 ? sighand_get(p->sighand, false) : NULL;
  if ((p->fdt->refs > 1 && !fdt) || (p->sighand->refs > 1 && !sh)) {
    fdt_put(fdt);
    sighand_put(sh);
    return -ENOMEM;
  }
  if (fdt) {
    fdt_put(p->fdt);
    p->fdt = fdt;
  }
  if (sh) {
    sighand_put(p->sighand);
    p->sighand = sh;
  }
  return 0;
}

// The first process's shared parts: cwd "/", umask 022, default handlers, no files.
int proc_init_shared(struct proc *p) {
  p->fs = fs_get(NULL, false);
  p->sighand = sighand_get(&default_sighand, true);
  p->fdt = fdt_get(NULL, false);
  return p->fs && p->sighand && p->fdt ? 0 : -ENOMEM;
}

// A process's slot in proctab (proc_at() in proc.h is the way back).
int proc_slot(const struct proc *p) {
  for (int i = 0; i < nslots; i++)
    if (proctab[i] == p)
      return i;
  return -1;
}

static int alloc_pid(void) {
  for (int tries = 0; tries < PID_MAX; tries++) {
    int pid = next_pid;
    next_pid = next_pid % (PID_MAX - 1) + 1;
    if (!proc_find(pid))
      return pid;
  }
  return -EAGAIN;
}

int user_proc_count(uint32_t ruid) {
  int n = 0;
  for (int i = 0; i < NPROC; i++)
    if (proctab[i] && proctab[i]->ruid == ruid)
      n++;
  return n;
}

// The word between a thread's struct and the deepest its kernel stack may reach.
static uint64_t *stack_canary(struct proc *p) {
  return (uint64_t *)ALIGN_UP((uint64_t)(p + 1), 8);
}

static void check_stack(struct proc *p) {
  if (*stack_canary(p) != KSTACK_CANARY)
    panic("kernel stack overflow: pid %d (%s)", p->pid, p->name);
}

// A new process with a kernel stack whose first swtch() lands in forkret and then
// returns to user mode through whatever the caller puts in the trapframe.
struct proc *proc_alloc(void) {
  int slot = 0;
  while (slot < NPROC && proctab[slot])
    slot++;
  if (slot == NPROC)
    return NULL;
  if (slot >= nslots)
    nslots = slot + 1;
  // Not zeroed past the struct: the stack is written before it is read, and the
  // trapframe at its top is set whole by whoever makes the process runnable (fork
  // copies it, exec sets it).
  struct proc *p = page_alloc_raw(KSTACK_SIZE / PAGE_SIZE);
  int pid = p ? alloc_pid() : -1;
  if (!p || pid < 0) {
    if (p)
      page_free(p, KSTACK_SIZE / PAGE_SIZE);
    return NULL;
  }
  memset(p, 0, sizeof *p);
  p->kstack = (uint8_t *)p;
  *stack_canary(p) = KSTACK_CANARY;
  p->pid = p->tgid = pid;
  p->leader = p;
  p->nthreads = 1;
  p->gen = proc_new_gen();
  for (int i = 0; i < NRLIMIT; i++) // Linux's defaults (fork copies the parent's)
    p->rlim[i][0] = p->rlim[i][1] = RLIM_INFINITY;
  p->rlim[RLIMIT_STACK][0] = 8 << 20;
  p->rlim[RLIMIT_NOFILE][0] = p->rlim[RLIMIT_NOFILE][1] = NOFILE;
  p->rlim[RLIMIT_NPROC][0] = p->rlim[RLIMIT_NPROC][1] = MAX_USER_PROCS;
  p->rlim[RLIMIT_SIGPENDING][0] = p->rlim[RLIMIT_SIGPENDING][1] = SIGPENDING_DEFAULT;
  p->dumpable = true;
  p->start_ticks = ticks;
  p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE) - 1;
  uint64_t *sp = (uint64_t *)p->tf - 7;
  sp[6] = (uint64_t)forkret; // swtch pops six registers, then returns here
  p->ctx_rsp = (uint64_t)sp;
  // A fresh FPU image: x87 control word 0x37f and MXCSR 0x1f80, as after FNINIT/reset.
  *(uint16_t *)&p->fpu[0] = 0x37f;
  *(uint32_t *)&p->fpu[24] = 0x1f80;
  p->state = P_UNUSED; // the caller makes it runnable once it is complete
  proctab[slot] = p;
  return p;
}

// Release everything of a process that has been reaped (or never ran).
void proc_free(struct proc *p) {
  for (int i = 0; i < NPROC; i++)
    if (proctab[i] == p)
      proctab[i] = NULL;
  while (nslots > 0 && !proctab[nslots - 1])
    nslots--; // the scheduler's round robin covers only the used part
  if (cpu.fpu_owner == p)
    cpu.fpu_owner = NULL;
  if (cpu.handoff == p)
    cpu.handoff = NULL;
  if (p->vm)
    vm_free(p->vm);
  timers_exit(p); // (a leader that never ran: a failed fork)
  signal_discard(p, 0); // real-time instances still queued
  fdt_put(p->fdt);
  fs_put(p->fs);
  sighand_put(p->sighand);
  kfree(p->exe);
  check_stack(p);
  page_free(p, KSTACK_SIZE / PAGE_SIZE);
}


static void fpu_switch(struct proc *p) {
  if (cpu.fpu_owner == p)
    return; // the FPU still holds p's registers: nothing to do
  if (cpu.fpu_owner)
    __asm__ volatile("fxsave64 %0" : "=m"(cpu.fpu_owner->fpu));
  __asm__ volatile("fxrstor64 %0" ::"m"(p->fpu));
  cpu.fpu_owner = p;
}

// Load what user mode sees of p besides its trapframe: address space, FPU, segments.
static void switch_in(struct proc *p) {
  cpu.proc = p;
  p->state = P_RUNNING;
  cpu_set_kstack((uint64_t)&p->tf->fs_base);
  vm_activate(p->vm);
  fpu_switch(p);
  __asm__ volatile("mov %0, %%ds; mov %1, %%es; mov %2, %%fs; mov %3, %%gs" ::"r"(p->tf->ds),
                   "r"(p->tf->es), "r"(p->tf->fs), "r"(p->tf->gs));
  wrmsr(MSR_FS_BASE, p->tf->fs_base);
  wrmsr(MSR_GS_BASE, p->tf->gs_base);
  if (p->dr7 || cpu.dr_loaded) // (the common case, no debug registers anywhere: nothing to do)
    debugregs_load(p);
}

// Round robin over the used part of the process table (slots are handed out lowest
// first, so it stays short). NULL if nothing can run.
static struct proc *pick_next(void) {
  static int last;
  for (int n = 1; n <= nslots; n++) {
    int i = (last + n) % nslots;
    struct proc *p = proctab[i];
    if (p && p->state == P_RUNNABLE) {
      last = i;
      return p;
    }
  }
  return NULL;
}

// The idle loop: runs only when no process can. It is the one place the kernel takes
// interrupts (a timer or device interrupt makes something runnable).
void scheduler(void) {
  for (;;) {
    struct proc *p = pick_next();
    if (!p) {
      proc_reap_threads();
      sti_hlt_cli();
      continue;
    }
    switch_in(p);
    swtch(&cpu.sched_rsp, p->ctx_rsp);
  }
}

// Give up the CPU; the caller has set the process's state. Switch straight to the next
// runnable process (one stack switch, not two), or to the idle loop if there is none.
void sched(void) {
  struct proc *p = myproc();
  uint64_t ds, es, fs, gs;
  __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                   : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
  struct trapframe *tf = p->tf;
  tf->ds = ds & 0xffff, tf->es = es & 0xffff, tf->fs = fs & 0xffff, tf->gs = gs & 0xffff;
  struct proc *next = cpu.handoff;
  cpu.handoff = NULL;
  if (!next || next->state != P_RUNNABLE)
    next = pick_next();
  if (next == p) {
    p->state = P_RUNNING;
    return;
  }
  check_stack(p);
  if (next) {
    switch_in(next);
    swtch(&p->ctx_rsp, next->ctx_rsp);
  } else {
    cpu.proc = NULL;
    swtch(&p->ctx_rsp, cpu.sched_rsp);
  }
}

void yield(void) {
  myproc()->state = P_RUNNABLE;
  sched();
}

// Sleeping processes are kept on a list, so wakeups cost what there is to wake.
struct proc *sleepers;

static void sleep_link(struct proc *p) {
  p->sleep_prev = NULL;
  p->sleep_next = sleepers;
  if (sleepers)
    sleepers->sleep_prev = p;
  sleepers = p;
}

// Interrupt p's sleep, as a signal or a tracer's stop request does: the call it sleeps in
// returns -ERESTARTSYS. A sleep that only SIGKILL may end (sleep_nosig: a vfork parent, a
// tracee waiting for room in its event queue) goes on, unless p is being killed.
void proc_interrupt(struct proc *p) {
  if (!p->sleep_nosig || p->killed)
    proc_wake(p, -ERESTARTSYS);
}

// Sleep until wakeup(chan). Returns 0, or -ERESTARTSYS if a signal interrupted the
// sleep (or was already pending, so the caller never blocks with a signal waiting).
// System calls pass -ERESTARTSYS up; signal_deliver() turns it into a restart or
// -EINTR, as Linux does, and a tracer's syscall-exit stop sees it as Linux's do.
int sleep_on(void *chan) { return sleep_until(chan, 0); }

int sleep_until(void *chan, uint64_t tick) {
  struct proc *p = myproc();
  if (p->killed || (p->pending & ~p->blocked))
    return -ERESTARTSYS;
  p->chan = chan;
  p->wake_tick = tick;
  p->wake_reason = 0;
  p->state = P_SLEEPING;
  sleep_link(p);
  sched();
  p->chan = NULL;
  p->wake_tick = 0;
  return p->wake_reason;
}

// Sleep that only SIGKILL interrupts, for waits the process must not leave early
// (a vfork parent, whose child is running on its memory).
int sleep_nosig(void *chan) {
  struct proc *p = myproc();
  if (p->killed)
    return -ERESTARTSYS;
  p->chan = chan;
  p->wake_tick = 0;
  p->wake_reason = 0;
  p->sleep_nosig = true;
  p->state = P_SLEEPING;
  sleep_link(p);
  sched();
  p->sleep_nosig = false;
  p->chan = NULL;
  return p->wake_reason;
}

void wakeup(void *chan) {
  for (struct proc *p = sleepers, *next; p; p = next) {
    next = p->sleep_next;
    if (p->chan == chan)
      proc_wake(p, 0);
  }
}

// Timer interrupt: wake the sleepers whose time has come.
void wake_timers(void) {
  for (struct proc *p = sleepers, *next; p; p = next) {
    next = p->sleep_next;
    if (p->wake_tick && p->wake_tick <= ticks)
      proc_wake(p, 0);
  }
}

// The new thread or process c gets p's shared parts, shared or copied as flags say.
static int clone_shared(struct proc *c, struct proc *p, uint64_t flags) {
  if (flags & CLONE_VM)
    p->vm->refs++;
  c->vm = flags & CLONE_VM ? p->vm : vm_clone(p->vm);
  c->fs = fs_get(p->fs, flags & CLONE_FS);
  c->sighand = (flags & CLONE_SIGHAND) && sighand_own(p) < 0
                   ? NULL // (the default table is never shared by CLONE_SIGHAND)
                   : sighand_get(p->sighand, flags & CLONE_SIGHAND);
  c->fdt = fdt_get(p->fdt, flags & CLONE_FILES);
  c->exe = kstrdup(p->exe ? p->exe : "");
  return c->vm && c->fs && c->sighand && c->fdt && c->exe ? 0 : -ENOMEM;
}

// A copy of the current thread p: a new process, or with CLONE_THREAD a new thread of
// p's group. Its registers are p's, returning 0.
static struct proc *fork_proc(struct proc *p, uint64_t flags) {
  if (p->ruid != 0 && user_proc_count(p->ruid) >= MAX_USER_PROCS)
    return NULL;
  struct proc *c = proc_alloc();
  if (!c)
    return NULL;
  if (clone_shared(c, p, flags) < 0) {
    proc_free(c);
    return NULL;
  }
  *c->tf = *p->tf;
  c->tf->rax = 0;
  if (trace_stepping(&p->tracee)) // the parent is being single-stepped: that TF is not the child's
    c->tf->rflags &= ~FL_TF;
  if (cpu.fpu_owner == p) // the child starts with the parent's live FPU registers
    __asm__ volatile("fxsave64 %0" : "=m"(p->fpu));
  memcpy(c->fpu, p->fpu, sizeof c->fpu);
  memcpy(c->name, p->name, sizeof c->name);
  if (flags & CLONE_THREAD) {
    c->tgid = p->tgid;
    c->leader = p->leader;
    c->leader->nthreads++;
    c->nthreads = 0;
  }
  // Every thread's parent is its group's parent (getppid); a process's parent is the
  // leader of the group that made it (any of its threads may wait for it).
  c->parent = flags & (CLONE_THREAD | CLONE_PARENT) ? p->parent : p->leader;
  c->ruid = p->ruid, c->euid = p->euid, c->suid = p->suid;
  c->rgid = p->rgid, c->egid = p->egid, c->sgid = p->sgid;
  memcpy(c->groups, p->groups, sizeof c->groups);
  c->ngroups = p->ngroups;
  c->blocked = p->blocked;
  if (!(flags & CLONE_VM)) // a new thread's stack is new: the old alternate stack is not its
    c->altstack_sp = p->altstack_sp, c->altstack_size = p->altstack_size;
  c->pgid = p->pgid, c->sid = p->sid;
  c->dumpable = p->dumpable;
  c->did_exec = p->did_exec && (flags & CLONE_THREAD);
  c->personality = p->leader->personality; // (a thread reads its leader's: see proc.h)
  memcpy(c->rlim, p->leader->rlim, sizeof c->rlim);
  c->arg_start = p->arg_start, c->arg_end = p->arg_end;
  return c;
}

// Flags Linux refuses (copy_process's checks), and the ones not done here.
static int clone_flags_check(uint64_t flags, const struct proc *p) {
  if (flags & ~CLONE_SUPPORTED)
    return -EINVAL;
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
    return -EINVAL; // a thread shares its group's handlers
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
    return -EINVAL; // handlers are addresses in one address space
  if ((flags & CLONE_PARENT) && p->leader == initproc)
    return -EINVAL; // init's siblings would have no parent
  return 0;
}

// fork, vfork, clone and clone3 (flags as clone(2)'s): a child of the current thread,
// running. Returns its id, or -EINVAL (flags it cannot honour), -EPERM (a TLS base
// outside user space), -EAGAIN (no memory, no slot, too many for this user).
long proc_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid, uint64_t tls) {
  struct proc *p = myproc();
  int r = clone_flags_check(flags, p);
  if (r < 0)
    return r;
  if ((flags & CLONE_SETTLS) && tls >= USER_TOP)
    return -EPERM; // as arch_prctl(ARCH_SET_FS)
  if (p->leader->group_exit)
    return -EAGAIN; // the group is ending: no new members (Linux: fatal signal pending)
  proc_reap_threads();
  struct proc *c = fork_proc(p, flags);
  if (!c)
    return -EAGAIN;
  if (newsp)
    c->tf->rsp = newsp;
  if (flags & CLONE_SETTLS)
    c->tf->fs_base = tls;
  uint32_t pid = c->pid;
  if (flags & CLONE_CHILD_SETTID)
    vm_copy(c->vm, ctid, &pid, sizeof pid, true, false);
  if (flags & CLONE_PARENT_SETTID)
    copyout(ptid, &pid, sizeof pid);
  if (flags & CLONE_CHILD_CLEARTID)
    c->clear_child_tid = ctid;
  c->vfork_pending = flags & CLONE_VFORK;
  if (!trace_clone(c, flags))
    c->state = P_RUNNABLE;
  // The child runs on our memory: we may not run again until it has its own (exec)
  // or is gone. Only SIGKILL ends the wait, and then we die before user mode.
  while (c->vfork_pending && proc_find(pid) == c && c->state != P_ZOMBIE)
    if (sleep_nosig(c) < 0)
      break;
  if (flags & CLONE_VFORK)
    trace_vfork_done(pid);
  return pid;
}

// The vfork parent may run again once the child has its own program (exec) or is gone.
void vfork_release(struct proc *p) {
  if (p->vfork_pending) {
    p->vfork_pending = false;
    wakeup(p);
  }
}

// Tell every other live thread of p's group to end (they exit at their next return
// to user mode, or now if asleep or stopped).
static void kill_others(struct proc *p) {
  for_each_thread(t, p) {
    if (t != p) {
      t->killed = true;
      if (t->state == P_STOPPED || t->state == P_TRACED)
        t->state = P_RUNNABLE;
      proc_interrupt(t);
    }
  }
}

// The last thread of a group is gone: the process ends. Its process-wide state goes
// (timers, SEM_UNDO adjustments); orphans go to init; the parent hears of it (or,
// ignoring SIGCHLD, never sees it: init reaps it).
static void group_end(struct proc *leader) {
  if (leader == initproc)
    panic("init exited with status 0x%x", leader->exit_status);
  timers_exit(leader);
  ipc_exit(leader); // its semaphore adjustments (SEM_UNDO) are the process's
  for (int i = 0; i < NPROC; i++) // orphans go to init, which reaps them
    if (proctab[i] && proctab[i]->parent == leader) {
      proctab[i]->parent = initproc;
      if (proctab[i]->state == P_ZOMBIE)
        wakeup(initproc);
    }
  int status = leader->exit_status;
  // A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) never reaps: init does, and
  // the parent's wait4 sees no such child (Linux's automatic reaping).
  struct sigaction_k *chld = &leader->parent->sighand->act[SIGCHLD - 1];
  if (chld->handler == SIG_IGN || (chld->flags & SA_NOCLDWAIT)) {
    wakeup(leader->parent);
    leader->parent = initproc;
    wakeup(initproc);
  } else if (status & 0x7f)
    signal_notify_parent(leader, status & 0x80 ? CLD_DUMPED : CLD_KILLED, status & 0x7f);
  else
    signal_notify_parent(leader, CLD_EXITED, status >> 8);
}

// End the current thread with a wait status (Linux encoding). Its share of memory and
// files goes now; a leader stays a zombie until its group is gone and the parent reaps
// it, another thread is freed once the CPU has left its stack.
void thread_exit(int status) {
  struct proc *p = myproc(), *leader = p->leader;
  if (p == initproc && leader->nthreads == 1)
    panic("init exited with status 0x%x", status);
  trace_exit(status);
  futex_exit(p); // (before the tid word: Linux's order)
  if (p->clear_child_tid) { // pthread_join waits on this word (CLONE_CHILD_CLEARTID)
    uint32_t zero = 0;
    if (copyout(p->clear_child_tid, &zero, sizeof zero) == 0)
      futex_wake(p->clear_child_tid, true, 1, FUTEX_BITSET_ANY);
  }
  vfork_release(p);
  fdt_put(p->fdt);
  p->fdt = NULL;
  vm_activate(NULL);
  vm_free(p->vm);
  p->vm = NULL;
  p->exit_status = status;
  p->state = p == leader ? P_ZOMBIE : P_DEAD;
  if (--leader->nthreads == 0) {
    // The process ends with the group's status, or the last thread's (Linux's).
    leader->exit_status = leader->group_exit ? leader->group_status : status;
    group_end(leader);
  }
  else
    wakeup(&leader->nthreads); // an exec waiting for the others to go
  sched();
  panic("zombie ran");
}

// End the current thread's whole group (exit_group, a fatal signal): the others end at
// their next return to user mode, and the group's status is the first one asked for.
void proc_exit(int status) {
  struct proc *p = myproc(), *leader = p->leader;
  if (!leader->group_exit) {
    leader->group_exit = true;
    leader->group_status = status;
    kill_others(p);
  }
  thread_exit(status);
}

// p, the last thread of its group besides the exited leader, takes the leader's place:
// its pid, parent and children (Linux's de_thread).
static void become_leader(struct proc *p, struct proc *leader) {
  p->pid = leader->pid;
  p->leader = p;
  p->nthreads = 1;
  p->parent = leader->parent;
  p->start_ticks = leader->start_ticks;
  p->personality = leader->personality; // the process-wide state the leader held
  memcpy(p->rlim, leader->rlim, sizeof p->rlim);
  timers_move(p, leader);
  trace_owner_new_leader(p, leader);
  for (int i = 0; i < nslots; i++)
    if (proctab[i] && proctab[i]->parent == leader)
      proctab[i]->parent = p;
  proc_free(leader);
}

// exec from any thread of a group: the others end first, and the exec'ing thread
// becomes the group (it takes the leader's pid, as on Linux). Returns -EINTR if this
// thread was killed meanwhile (it then dies on the way out).
int proc_exec_alone(void) {
  struct proc *p = myproc(), *leader = p->leader;
  if (leader->nthreads == 1 && p == leader)
    return 0;
  if (leader->group_exit)
    return -EINTR;
  leader->group_exit = true;
  leader->group_status = SIGKILL;
  kill_others(p);
  while (leader->nthreads > 1 && !p->killed)
    sleep_nosig(&leader->nthreads);
  if (p->killed)
    return -EINTR;
  leader->group_exit = false;
  if (p != leader)
    become_leader(p, leader);
  return 0;
}

void proc_kill(struct proc *p) {
  struct siginfo_k info = {.signo = SIGKILL, .code = SI_USER};
  signal_send(p, &info);
}

// An exit with wait status st, as waitid reports it.
void waitres_exit(struct waitres *r, int st) {
  r->status = st;
  r->code = !(st & 0x7f) ? CLD_EXITED : st & 0x80 ? CLD_DUMPED : CLD_KILLED;
  r->si_status = st & 0x7f ? st & 0x7f : st >> 8 & 0xff;
}

static bool wait_matches(const struct proc *c, int idtype, int id) {
  return idtype == P_ALL || (idtype == P_PID ? c->pid == id : c->pgid == id);
}

// What a wait reports about child c now, if anything: 1 with *r filled, or 0.
// WNOWAIT leaves the event to be reported again; otherwise a zombie is reaped by the
// caller (*reap) and a stop or continue is reported once.
static int wait_event(struct proc *c, int options, struct waitres *r, bool *reap) {
  bool consume = !(options & WNOWAIT);
  *reap = false;
  r->pid = c->pid;
  r->uid = c->ruid;
  if (c->state == P_ZOMBIE && c->nthreads == 0) {
    if (!(options & WEXITED))
      return 0;
    waitres_exit(r, c->exit_status);
    *reap = consume;
    return 1;
  }
  if ((options & WSTOPPED) && c->state == P_STOPPED && c->stop_report) {
    r->status = c->stop_sig << 8 | 0x7f;
    r->code = CLD_STOPPED;
    r->si_status = c->stop_sig;
    if (consume)
      c->stop_report = false;
    return 1;
  }
  if ((options & WCONTINUED) && c->cont_report) {
    r->status = 0xffff;
    r->code = CLD_CONTINUED;
    r->si_status = SIGCONT;
    if (consume)
      c->cont_report = false;
    return 1;
  }
  return 0;
}

// waitid: the first child selected by (idtype, id) (P_ALL, P_PID pid, P_PGID group)
// with an event the options ask for (WEXITED, WSTOPPED, WCONTINUED); a ptrace stop of
// one of our tracees counts whatever the options (as Linux). Returns its pid with *res
// (a zombie is reaped unless WNOWAIT), 0 (WNOHANG and nothing yet), -ECHILD, -EINVAL,
// or -ERESTARTSYS.
long proc_waitid(int idtype, int id, int options, struct waitres *res) {
  if (options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL |
                  __WCLONE))
    return -EINVAL;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
    return -EINVAL;
  if ((idtype != P_ALL && idtype != P_PID && idtype != P_PGID) ||
      (idtype == P_PID && id <= 0) || (idtype == P_PGID && id < 0))
    return -EINVAL;
  struct proc *p = myproc();
  if (idtype == P_PGID && id == 0)
    id = p->pgid; // (Linux 5.4+: the caller's group)
  if (!(options & WNOHANG))
    ptrace_wait_yield(p); // a tracee just resumed runs to its next stop first
  int interrupted = 0;
  for (;;) {
    bool have = false;
    if (ptrace_wait(p, idtype, id, options, res, &have)) // one of our tracees' events
      return res->pid;
    bool reap;
    if (idtype == P_PID) { // one child: found at once (a tracer waits so at every stop)
      struct proc *c = proc_find(id);
      if (c && c->leader == c && c->parent == p->leader) {
        have = true;
        if (wait_event(c, options, res, &reap)) {
          if (reap)
            proc_free(c);
          return res->pid;
        }
      }
    }
    for (int i = 0; idtype != P_PID && i < NPROC; i++) {
      struct proc *c = proctab[i];
      if (!c || c->parent != p->leader || c->leader != c || !wait_matches(c, idtype, id))
        continue;
      have = true;
      if (!wait_event(c, options, res, &reap))
        continue;
      if (reap)
        proc_free(c);
      return res->pid;
    }
    if (!have)
      return -ECHILD;
    if (interrupted)
      return interrupted;
    if (options & WNOHANG)
      return 0;
    // signal_notify_parent wakes the leader's channel. A signal ends the sleep, but the
    // children are looked at once more first: a child's exit sends SIGCHLD too, and
    // Linux's wait returns the child then, not EINTR.
    interrupted = sleep_on(p->leader);
  }
}

// wait4: pid > 0 that child, -1 any, 0 our group, < -1 that group; exits always count.
// Returns as proc_waitid, the wait status in *status.
long proc_wait(int pid, int options, int *status) {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
    return -EINVAL;
  if (pid == INT32_MIN) // no group -INT_MIN (Linux's ESRCH)
    return -ESRCH;
  int idtype = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
  int id = pid > 0 ? pid : pid == 0 ? myproc()->pgid : -pid;
  struct waitres res;
  long r = proc_waitid(idtype, id, options | WEXITED, &res);
  if (r > 0)
    *status = res.status;
  return r;
}
