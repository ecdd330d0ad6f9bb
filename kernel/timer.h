// Clocks and timers (timer.c): the clocks of clock_gettime(2), the per-process interval
// timers (setitimer, alarm) and POSIX timers (timer_create), fired from the timer tick.
// Time itself comes from the TSC (time_ns(), cpu.h); ticks only wake the timers up.
#pragma once
#include "types.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define NS 1000000000ull

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD_ID 4

struct proc;

// An interval timer's setting: the time to the next expiry and the period (ns; a zero
// value is disarmed, a zero interval fires once).
struct tspec {
  uint64_t value, interval;
};

int clock_read(int clk, uint64_t *ns);         // 0, or -EINVAL: no such clock
int clock_set(int clk, uint64_t ns);           // clock_settime: -EINVAL, -EPERM
uint64_t clock_realtime_ns(void);

int itimer_set(int which, const struct tspec *new, struct tspec *old);
int itimer_get(int which, struct tspec *cur);
long ptimer_create(int clk, int notify, int signo, uint64_t value, int tid);
int ptimer_set(int id, int flags, const struct tspec *new, struct tspec *old);
void ptimer_set_value(int id, uint64_t value);
int ptimer_get(int id, struct tspec *cur);
int ptimer_overrun(int id);
int ptimer_delete(int id);

void timers_tick(void);                 // timer interrupt: fire what is due
void timers_exec(struct proc *p);       // exec: POSIX timers go, itimers stay
void timers_exit(struct proc *p);       // exit: everything goes
void timers_move(struct proc *to, struct proc *from); // a new group leader takes them
