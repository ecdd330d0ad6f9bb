// Clocks and timers: the clocks of clock_gettime(2) read the TSC (time_ns()); interval
// timers (setitimer, alarm) and POSIX timers (timer_create) are checked at every timer
// tick, so they fire on the first tick at or after their time (HZ resolution).
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "kalloc.h"
#include "proc.h"
#include "signal.h"
#include "timer.h"
#include "vdso.h"

#define NTIMERS 32 // POSIX timers per process: timer_create's EAGAIN beyond
#define SIGVTALRM 26
#define SIGPROF 27

// CLOCK_REALTIME is the CMOS clock at boot plus the monotonic clock, moved by
// clock_settime (this offset).
static int64_t realtime_adjust;

uint64_t clock_realtime_ns(void) { return boot_epoch * NS + realtime_adjust + time_ns(); }

int clock_read(int clk, uint64_t *ns) {
  switch (clk) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
  case CLOCK_TAI: // TAI - UTC is 0 until someone sets it (as on Linux without NTP)
    *ns = clock_realtime_ns();
    return 0;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
  case CLOCK_PROCESS_CPUTIME_ID: // no per-process accounting yet: time since boot
  case CLOCK_THREAD_CPUTIME_ID:
    *ns = time_ns();
    return 0;
  }
  return -EINVAL;
}

// Only CLOCK_REALTIME can be set, and only by root (Linux: CAP_SYS_TIME).
int clock_set(int clk, uint64_t ns) {
  if (clk != CLOCK_REALTIME)
    return -EINVAL;
  if (myproc()->euid != 0)
    return -EPERM;
  realtime_adjust = (int64_t)(ns - boot_epoch * NS - time_ns());
  vdso_set_realtime(boot_epoch * NS + realtime_adjust); // the vDSO's reading too
  return 0;
}

// ---- timers ----
struct ktimer {
  struct proc *owner;         // the group leader: timers are the process's (Linux's)
  int tid;                    // SIGEV_THREAD_ID: the thread signalled (0: the process)
  int id;                     // timer_create's id; -1: the process's ITIMER_REAL
  int clock;                  // the clock that expires is a reading of
  int notify, signo;          // SIGEV_SIGNAL or SIGEV_NONE, and the signal
  uint64_t value;             // sigev_value, handed over in the siginfo
  bool armed;                 // on the armed list
  uint64_t expires;           // the clock's reading at the next expiry
  uint64_t interval;          // ns; 0: fires once
  int overrun;                // expirations merged into its last signal
  struct ktimer *next;        // the armed list
};

// A process's timers, allocated at its first setitimer/alarm/timer_create, held by its
// group leader (p->leader->timers): every thread sees and sets the same ones.
struct ptimers {
  struct ktimer real;                    // ITIMER_REAL, alarm
  uint64_t cpu_expires[2], cpu_every[2]; // ITIMER_VIRTUAL, ITIMER_PROF, in the group's
                                         // group_ticks (0: off)
  struct ktimer *posix[NTIMERS];         // by id
};

// Every armed ktimer, whoever owns it: the tick checks this list only.
static struct ktimer *armed;

// (The list is as long as the timers armed: walking it to unlink one is cheap.)
static void disarm(struct ktimer *t) {
  for (struct ktimer **pp = &armed; t->armed && *pp; pp = &(*pp)->next)
    if (*pp == t) {
      *pp = t->next;
      t->armed = false;
    }
}

static void arm(struct ktimer *t, uint64_t expires, uint64_t interval) {
  disarm(t);
  t->expires = expires;
  t->interval = interval;
  t->next = armed;
  t->armed = true;
  armed = t;
}

static struct ptimers *timers_of(struct proc *p) {
  p = p->leader;
  if (!p->timers) {
    p->timers = kmalloc(sizeof *p->timers);
    if (p->timers)
      p->timers->real = (struct ktimer){.owner = p, .id = -1, .clock = CLOCK_MONOTONIC,
                                        .notify = SIGEV_SIGNAL, .signo = SIGALRM};
  }
  return p->timers;
}

// The timer's signal is still pending from its last expiry: it is not sent again, its
// overrun counts the expiry instead (in the pending siginfo too).
// (Pending signals are per thread: the one the last signal went to holds it.)
static bool merge_overrun(struct ktimer *t, uint64_t n) {
  for_each_thread(p, t->owner) {
    struct siginfo_k *si;
    for (int i = 0; (si = signal_pending_info(p, t->signo, i)); i++) {
      if (si->code != SI_TIMER || si->timerid != t->id)
        continue;
      uint64_t o = (uint64_t)t->overrun + n;
      t->overrun = si->overrun = o > INT32_MAX ? INT32_MAX : (int)o;
      return true;
    }
  }
  return false;
}

static void fire(struct ktimer *t, uint64_t now) {
  uint64_t missed = 0;
  if (t->interval) { // the next period after now; the ones skipped are overruns
    missed = (now - t->expires) / t->interval;
    t->expires += (missed + 1) * t->interval;
  } else {
    disarm(t);
  }
  if (t->notify == SIGEV_NONE)
    return;
  struct siginfo_k info = {.signo = t->signo, .code = SI_KERNEL};
  if (t->id >= 0) {
    if (merge_overrun(t, missed + 1))
      return;
    t->overrun = missed > INT32_MAX ? INT32_MAX : (int)missed;
    info = (struct siginfo_k){.signo = t->signo, .code = SI_TIMER, .timerid = t->id,
                              .overrun = t->overrun, .value = t->value};
  }
  struct proc *th = t->tid ? proc_find(t->tid) : NULL;
  if (th && th->leader == t->owner)
    signal_send_thread(th, &info);
  else // (a SIGEV_THREAD_ID thread that is gone: the process, as Linux)
    signal_send(t->owner, &info);
}

// The CPU-time itimers of the process (p: its leader) the tick found running: they
// count the CPU time of all its threads. Interrupts reach the kernel only from user
// mode (or the idle loop), so every such tick is user time: ITIMER_VIRTUAL and
// ITIMER_PROF count the same ticks.
static void cpu_itimers(struct proc *p) {
  static const int sig[2] = {SIGVTALRM, SIGPROF};
  struct ptimers *pt = p->timers;
  for (int i = 0; i < 2; i++) {
    if (!pt->cpu_expires[i] || p->group_ticks < pt->cpu_expires[i])
      continue;
    pt->cpu_expires[i] = pt->cpu_every[i] ? p->group_ticks + pt->cpu_every[i] : 0;
    struct siginfo_k info = {.signo = sig[i], .code = SI_KERNEL};
    signal_send(p, &info);
  }
}

void timers_tick(void) {
  for (struct ktimer *t = armed, *next; t; t = next) {
    next = t->next; // fire() may unlink t
    uint64_t now;
    clock_read(t->clock, &now);
    if (now >= t->expires)
      fire(t, now);
  }
  struct proc *p = myproc();
  if (p && p->leader->timers)
    cpu_itimers(p->leader);
}

// What is left of t's time, and its interval.
static void remaining(const struct ktimer *t, struct tspec *cur) {
  uint64_t now;
  cur->value = cur->interval = 0;
  if (!t->armed)
    return;
  clock_read(t->clock, &now);
  cur->value = t->expires > now ? t->expires - now : 1; // due: about to fire
  cur->interval = t->interval;
}

static uint64_t ticks_of(uint64_t ns) { return ns ? (ns + NS / HZ - 1) / (NS / HZ) : 0; }

// setitimer: which is ITIMER_REAL, _VIRTUAL or _PROF; old (if not NULL) gets the
// previous setting.
int itimer_set(int which, const struct tspec *new, struct tspec *old) {
  if (which < ITIMER_REAL || which > ITIMER_PROF)
    return -EINVAL;
  struct proc *p = myproc()->leader;
  struct ptimers *pt = timers_of(p);
  if (!pt)
    return -ENOMEM;
  if (old)
    itimer_get(which, old);
  if (which == ITIMER_REAL) {
    if (new->value)
      arm(&pt->real, time_ns() + new->value, new->interval);
    else
      disarm(&pt->real);
    return 0;
  }
  int i = which - ITIMER_VIRTUAL;
  pt->cpu_expires[i] = new->value ? p->group_ticks + ticks_of(new->value) : 0;
  pt->cpu_every[i] = ticks_of(new->interval);
  return 0;
}

int itimer_get(int which, struct tspec *cur) {
  if (which < ITIMER_REAL || which > ITIMER_PROF)
    return -EINVAL;
  struct proc *p = myproc()->leader;
  struct ptimers *pt = p->timers;
  *cur = (struct tspec){0};
  if (!pt)
    return 0;
  if (which == ITIMER_REAL) {
    remaining(&pt->real, cur);
    return 0;
  }
  int i = which - ITIMER_VIRTUAL;
  if (pt->cpu_expires[i]) {
    uint64_t left = pt->cpu_expires[i] > p->group_ticks ? pt->cpu_expires[i] - p->group_ticks : 1;
    cur->value = left * (NS / HZ);
  }
  cur->interval = pt->cpu_every[i] * (NS / HZ);
  return 0;
}

// timer_create: notify SIGEV_SIGNAL (signo, value), SIGEV_NONE, or SIGEV_THREAD_ID
// naming a thread of the caller's process (the signal goes to that thread). Returns the new id, or -EINVAL (bad
// clock, notification or signal), -EOPNOTSUPP (a clock without timers, as Linux's raw
// and coarse ones), -EAGAIN (too many timers).
long ptimer_create(int clk, int notify, int signo, uint64_t value, int tid) {
  struct proc *p = myproc();
  uint64_t now;
  if (clock_read(clk, &now) < 0)
    return -EINVAL;
  if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
    return -EOPNOTSUPP;
  int thread = 0;
  if (notify == SIGEV_THREAD_ID) {
    struct proc *th = tid > 0 ? proc_find(tid) : NULL;
    if (!th || th->leader != p->leader)
      return -EINVAL;
    thread = tid;
    notify = SIGEV_SIGNAL;
  }
  if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE)
    return -EINVAL;
  if (notify == SIGEV_SIGNAL && (signo < 1 || signo > NSIG))
    return -EINVAL;
  struct ptimers *pt = timers_of(p);
  if (!pt)
    return -EAGAIN;
  int id = 0;
  while (id < NTIMERS && pt->posix[id])
    id++;
  if (id == NTIMERS)
    return -EAGAIN;
  struct ktimer *t = kmalloc(sizeof *t);
  if (!t)
    return -EAGAIN;
  *t = (struct ktimer){.owner = p->leader, .tid = thread, .id = id, .clock = clk, .notify = notify, .signo = signo,
                       .value = value};
  pt->posix[id] = t;
  return id;
}

static struct ktimer *ptimer_find(int id) {
  struct ptimers *pt = myproc()->leader->timers;
  return pt && id >= 0 && id < NTIMERS ? pt->posix[id] : NULL;
}

int ptimer_set(int id, int flags, const struct tspec *new, struct tspec *old) {
  struct ktimer *t = ptimer_find(id);
  if (!t)
    return -EINVAL;
  if (old)
    remaining(t, old);
  if (!new->value) {
    disarm(t);
    return 0;
  }
  uint64_t now;
  clock_read(t->clock, &now);
  t->overrun = 0;
  arm(t, flags & TIMER_ABSTIME ? new->value : now + new->value, new->interval);
  return 0;
}

// timer_create without a sigevent: the value is the timer's own id.
void ptimer_set_value(int id, uint64_t value) {
  struct ktimer *t = ptimer_find(id);
  if (t)
    t->value = value;
}

int ptimer_get(int id, struct tspec *cur) {
  struct ktimer *t = ptimer_find(id);
  if (!t)
    return -EINVAL;
  remaining(t, cur);
  return 0;
}

int ptimer_overrun(int id) {
  struct ktimer *t = ptimer_find(id);
  return t ? t->overrun : -EINVAL;
}

int ptimer_delete(int id) {
  struct ktimer *t = ptimer_find(id);
  if (!t)
    return -EINVAL;
  disarm(t);
  myproc()->leader->timers->posix[id] = NULL;
  kfree(t);
  return 0;
}

static void delete_posix(struct ptimers *pt) {
  for (int i = 0; i < NTIMERS; i++)
    if (pt->posix[i]) {
      disarm(pt->posix[i]);
      kfree(pt->posix[i]);
      pt->posix[i] = NULL;
    }
}

// POSIX timers do not survive exec; the itimers (and so alarm) do (POSIX).
void timers_exec(struct proc *p) {
  if (p->leader->timers)
    delete_posix(p->leader->timers);
}

// exec by a thread that takes its leader's place (proc.c's become_leader): the
// process's timers go with it.
void timers_move(struct proc *to, struct proc *from) {
  struct ptimers *pt = from->timers;
  from->timers = NULL;
  to->timers = pt;
  to->group_ticks = from->group_ticks;
  if (!pt)
    return;
  pt->real.owner = to;
  for (int i = 0; i < NTIMERS; i++)
    if (pt->posix[i])
      pt->posix[i]->owner = to;
}

void timers_exit(struct proc *p) {
  struct ptimers *pt = p->timers;
  if (!pt)
    return;
  delete_posix(pt);
  disarm(&pt->real);
  kfree(pt);
  p->timers = NULL;
}
