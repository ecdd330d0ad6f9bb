// Time system calls: clocks, sleeping, interval and POSIX timers. The clocks and timers
// are timer.c's; these unpack the arguments (timespecs and timevals to ns).
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "timer.h"
#include "vm.h"

struct timeval_k {
  int64_t tv_sec, tv_usec;
};

// A user timespec as ns: -EFAULT, or -EINVAL if out of range (negative, or tv_nsec not
// below a second). Seconds too large for 64-bit ns are clamped (no one waits that long).
static int get_timespec(uint64_t uts, uint64_t *ns) {
  struct timespec_k ts;
  if (copyin(&ts, uts, sizeof ts) < 0)
    return -EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NS)
    return -EINVAL;
  *ns = (uint64_t)ts.tv_sec >= UINT64_MAX / NS / 2 ? UINT64_MAX / 2 : ts.tv_sec * NS + ts.tv_nsec;
  return 0;
}

static int put_timespec(uint64_t uts, uint64_t ns) {
  struct timespec_k ts = {ns / NS, ns % NS};
  return copyout(uts, &ts, sizeof ts);
}

static int get_timeval(const struct timeval_k *tv, uint64_t *ns) {
  if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
    return -EINVAL;
  *ns = (uint64_t)tv->tv_sec >= UINT64_MAX / NS / 2 ? UINT64_MAX / 2
                                                     : tv->tv_sec * NS + tv->tv_usec * 1000;
  return 0;
}

// ns as a timeval, rounded up to the microsecond (a timer with time left never reads 0).
static struct timeval_k to_timeval(uint64_t ns) {
  uint64_t us = (ns + 999) / 1000;
  return (struct timeval_k){us / 1000000, us % 1000000};
}

// ---- clocks ----
long sys_clock_gettime(struct trapframe *tf) {
  uint64_t ns;
  int r = clock_read(ARG0, &ns);
  return r < 0 ? r : put_timespec(ARG1, ns);
}

long sys_clock_getres(struct trapframe *tf) {
  uint64_t ns;
  int r = clock_read(ARG0, &ns);
  if (r < 0 || !ARG1)
    return r;
  return put_timespec(ARG1, 1); // the TSC: nanosecond resolution on every clock
}

long sys_clock_settime(struct trapframe *tf) {
  uint64_t ns, now;
  if (clock_read(ARG0, &now) < 0)
    return -EINVAL;
  int r = get_timespec(ARG1, &ns);
  return r < 0 ? r : clock_set(ARG0, ns);
}

long sys_gettimeofday(struct trapframe *tf) {
  uint64_t ns = clock_realtime_ns();
  struct timeval_k tv = {ns / NS, ns % NS / 1000}; // truncated, as Linux
  return ARG0 ? copyout(ARG0, &tv, sizeof tv) : 0;
}

long sys_settimeofday(struct trapframe *tf) {
  struct timeval_k tv;
  uint64_t ns;
  if (!ARG0)
    return 0; // (only a time zone, which Vitrine does not keep)
  if (copyin(&tv, ARG0, sizeof tv) < 0)
    return -EFAULT;
  int r = get_timeval(&tv, &ns);
  return r < 0 ? r : clock_set(CLOCK_REALTIME, ns);
}

long sys_time(struct trapframe *tf) {
  int64_t t = clock_realtime_ns() / NS;
  if (ARG0 && copyout(ARG0, &t, sizeof t) < 0)
    return -EFAULT;
  return t;
}

// ---- sleeping ----
// Sleep until the clock clk reads deadline (ns). Ticks only wake us to look at the
// clock again. On a signal: -ERESTARTSYS, and the time left in *left.
static int sleep_ns(int clk, uint64_t deadline, uint64_t *left) {
  uint64_t now;
  while (clock_read(clk, &now) == 0 && now < deadline) {
    uint64_t wait_ticks = (deadline - now + NS / HZ - 1) / (NS / HZ);
    if (sleep_until((void *)&ticks, ticks + wait_ticks) < 0) {
      clock_read(clk, &now);
      *left = deadline > now ? deadline - now : 0;
      return -ERESTARTSYS;
    }
  }
  return 0;
}

// An interrupted relative sleep goes on to the same deadline (restart_block): arg 0 the
// clock, 1 the deadline, 2 where the time left goes.
static long nanosleep_restart(const struct restart_block *rb) {
  uint64_t left = 0;
  int r = sleep_ns(rb->arg[0], rb->arg[1], &left);
  if (r != -ERESTARTSYS)
    return r;
  if (rb->arg[2])
    put_timespec(rb->arg[2], left);
  return restart_later(nanosleep_restart, rb->arg[0], rb->arg[1], rb->arg[2], 0);
}

// clock_nanosleep's clocks are Linux's: the raw and coarse clocks, and a thread's CPU
// clock, have no sleep (EOPNOTSUPP).
static long do_nanosleep(int clk, int flags, uint64_t ureq, uint64_t urem) {
  uint64_t now, req, left = 0;
  if (clock_read(clk, &now) < 0)
    return -EINVAL;
  if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
      clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_THREAD_CPUTIME_ID)
    return -EOPNOTSUPP;
  int r = get_timespec(ureq, &req);
  if (r < 0)
    return r;
  uint64_t deadline = flags & TIMER_ABSTIME ? req : now + req;
  r = sleep_ns(clk, deadline, &left);
  if (r != -ERESTARTSYS || (flags & TIMER_ABSTIME))
    return r; // (an absolute sleep restarts as it is: its deadline does not move)
  if (urem)
    put_timespec(urem, left);
  return restart_later(nanosleep_restart, clk, deadline, urem, 0);
}

long sys_nanosleep(struct trapframe *tf) { return do_nanosleep(CLOCK_MONOTONIC, 0, ARG0, ARG1); }
long sys_clock_nanosleep(struct trapframe *tf) { return do_nanosleep(ARG0, ARG1, ARG2, ARG3); }

// ---- interval timers ----
static long put_itimerval(uint64_t u, const struct tspec *t) {
  struct timeval_k v[2] = {to_timeval(t->interval), to_timeval(t->value)};
  return copyout(u, v, sizeof v);
}

long sys_getitimer(struct trapframe *tf) {
  struct tspec cur;
  int r = itimer_get(ARG0, &cur);
  return r < 0 ? r : put_itimerval(ARG1, &cur);
}

long sys_setitimer(struct trapframe *tf) {
  struct timeval_k v[2] = {{0, 0}, {0, 0}}; // it_interval, it_value; NULL: disarm (Linux)
  struct tspec new, old;
  if (ARG1 && copyin(v, ARG1, sizeof v) < 0)
    return -EFAULT;
  int r = get_timeval(&v[0], &new.interval);
  if (r == 0)
    r = get_timeval(&v[1], &new.value);
  if (r == 0)
    r = itimer_set(ARG0, &new, &old);
  if (r == 0 && ARG2)
    r = put_itimerval(ARG2, &old);
  return r;
}

// alarm: ITIMER_REAL in whole seconds; returns the seconds that were left, rounded to
// the nearest and at least 1 if any time was left (as Linux).
long sys_alarm(struct trapframe *tf) {
  struct tspec new = {(uint64_t)(uint32_t)ARG0 * NS, 0}, old;
  int r = itimer_set(ITIMER_REAL, &new, &old);
  if (r < 0)
    return r;
  uint64_t secs = (old.value + NS / 2) / NS;
  return old.value && !secs ? 1 : (long)secs;
}

// ---- POSIX timers ----
struct sigevent_k {
  uint64_t value;
  int32_t signo, notify;
  int32_t tid;
  uint8_t pad[44];
};
_Static_assert(sizeof(struct sigevent_k) == 64, "Linux's struct sigevent");

// timer_create(clock, sevp, timerid). No sevp: SIGALRM with the timer's id as value.
long sys_timer_create(struct trapframe *tf) {
  struct sigevent_k ev = {.signo = SIGALRM, .notify = SIGEV_SIGNAL};
  int32_t id;
  if (ARG1 && copyin(&ev, ARG1, sizeof ev) < 0)
    return -EFAULT;
  long r = ptimer_create(ARG0, ev.notify, ev.signo, ev.value, ev.tid);
  if (r < 0)
    return r;
  id = r;
  if (!ARG1)
    ptimer_set_value(id, id);
  if (copyout(ARG2, &id, sizeof id) < 0) {
    ptimer_delete(id);
    return -EFAULT;
  }
  return 0;
}

static int get_itimerspec(uint64_t u, struct tspec *t) {
  int r = get_timespec(u, &t->interval);
  return r < 0 ? r : get_timespec(u + sizeof(struct timespec_k), &t->value);
}

static int put_itimerspec(uint64_t u, const struct tspec *t) {
  struct timespec_k v[2] = {{t->interval / NS, t->interval % NS}, {t->value / NS, t->value % NS}};
  return copyout(u, v, sizeof v);
}

long sys_timer_settime(struct trapframe *tf) {
  struct tspec new, old, cur;
  int r = get_itimerspec(ARG2, &new);
  if (r < 0)
    return r;
  if (ARG3 && (r = ptimer_get(ARG0, &cur)) < 0) // a bad id before a bad old_value
    return r;
  r = ptimer_set(ARG0, ARG1, &new, &old);
  return r == 0 && ARG3 ? put_itimerspec(ARG3, &old) : r;
}

long sys_timer_gettime(struct trapframe *tf) {
  struct tspec cur;
  int r = ptimer_get(ARG0, &cur);
  return r < 0 ? r : put_itimerspec(ARG1, &cur);
}

long sys_timer_getoverrun(struct trapframe *tf) { return ptimer_overrun(ARG0); }
long sys_timer_delete(struct trapframe *tf) { return ptimer_delete(ARG0); }
