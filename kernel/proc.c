// The process table, the scheduler, sleeping and waking, and the life of a process:
// fork, exit, wait.
#include "proc.h"
#include "signal.h"
#include "trace.h"

struct cpu cpu;
struct proc *proctab[NPROC];
struct proc *initproc;
static int next_pid = 1;
static int nslots; // proctab[nslots..] are all empty
static uint64_t last_gen;
uint64_t idle_ticks; // timer ticks that found the CPU idle (IRQ)

int last_pid(void) { return next_pid - 1; }

uint64_t proc_new_gen(void) { return ++last_gen; }
#define PID_MAX 32768


struct proc *proc_find(int pid) {
  for (int i = 0; i < nslots; i++)
    if (proctab[i] && proctab[i]->pid == pid && proctab[i]->state != P_UNUSED)
      return proctab[i];
  return NULL;
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
  struct proc *p = kmalloc(sizeof *p);
  if (!p)
    return NULL;
  p->kstack = page_alloc(KSTACK_SIZE / PAGE_SIZE);
  int pid = alloc_pid();
  if (!p->kstack || pid < 0) {
    if (p->kstack)
      page_free(p->kstack, KSTACK_SIZE / PAGE_SIZE);
    kfree(p);
    return NULL;
  }
  p->pid = pid;
  p->gen = proc_new_gen();
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
  fd_close_all(p);
  kfree(p->cwd);
  kfree(p->exe);
  page_free(p->kstack, KSTACK_SIZE / PAGE_SIZE);
  kfree(p);
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
  p->tf->ds = ds & 0xffff, p->tf->es = es & 0xffff, p->tf->fs = fs & 0xffff, p->tf->gs = gs & 0xffff;
  struct proc *next = cpu.handoff;
  cpu.handoff = NULL;
  if (!next || next->state != P_RUNNABLE)
    next = pick_next();
  if (next == p) {
    p->state = P_RUNNING;
    return;
  }
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
static struct proc *sleepers;

static void sleep_link(struct proc *p) {
  p->sleep_prev = NULL;
  p->sleep_next = sleepers;
  if (sleepers)
    sleepers->sleep_prev = p;
  sleepers = p;
}

static void sleep_unlink(struct proc *p) {
  if (p->sleep_prev)
    p->sleep_prev->sleep_next = p->sleep_next;
  else
    sleepers = p->sleep_next;
  if (p->sleep_next)
    p->sleep_next->sleep_prev = p->sleep_prev;
  p->sleep_next = p->sleep_prev = NULL;
}

// Make a sleeping process runnable; its sleep_on() returns reason.
void proc_wake(struct proc *p, int reason) {
  if (p->state != P_SLEEPING)
    return;
  sleep_unlink(p);
  p->wake_reason = reason;
  p->state = P_RUNNABLE;
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

// End the current process with a wait status (Linux encoding). Its memory and files go
// now; the process table slot and kernel stack stay until the parent reaps it.
void proc_exit(int status) {
  struct proc *p = myproc();
  if (p == initproc)
    panic("init exited with status 0x%x", status);
  trace_exit(status);
  if (p->clear_child_tid) {
    uint32_t zero = 0;
    copyout(p->clear_child_tid, &zero, sizeof zero);
  }
  vfork_release(p);
  fd_close_all(p);
  vm_activate(NULL);
  vm_free(p->vm);
  p->vm = NULL;
  for (int i = 0; i < NPROC; i++) // orphans go to init, which reaps them
    if (proctab[i] && proctab[i]->parent == p) {
      proctab[i]->parent = initproc;
      if (proctab[i]->state == P_ZOMBIE)
        wakeup(initproc);
    }
  p->exit_status = status;
  p->state = P_ZOMBIE;
  // A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) never reaps: init does, and
  // the parent's wait4 sees no such child (Linux's automatic reaping).
  struct sigaction_k *chld = &p->parent->sigact[SIGCHLD - 1];
  if (chld->handler == SIG_IGN || (chld->flags & SA_NOCLDWAIT)) {
    wakeup(p->parent);
    p->parent = initproc;
    wakeup(initproc);
    sched();
    panic("zombie ran");
  }
  if (status & 0x7f)
    signal_notify_parent(p, CLD_KILLED, status & 0x7f);
  else
    signal_notify_parent(p, CLD_EXITED, status >> 8);
  sched();
  panic("zombie ran");
}

void proc_kill(struct proc *p) {
  struct siginfo_k info = {.signo = SIGKILL, .code = SI_USER};
  signal_send(p, &info);
}
