// proctests, signals: signal stops, SIGKILL, job control.
#include "proctests.h"

static volatile sig_atomic_t g_handled;
static void usr1_handler(int sig) { g_handled = sig; }

// Install the SIGUSR1 handler (SA_RESTART), say ready, wait for a command, then report
// whether the handler ran (1 byte) and exit 0.
static void kid_usr1(void) {
  struct sigaction sa = {.sa_handler = usr1_handler, .sa_flags = SA_RESTART};
  OK(sigaction(SIGUSR1, &sa, NULL));
  kid_put("r", 1);
  if (kid_get() < 0)
    _exit(99);
  unsigned char ran = g_handled == SIGUSR1;
  kid_put(&ran, 1);
  _exit(0);
}

int usr1_stop(struct kid *k) {
  kid_start(k, kid_usr1);
  char c;
  kid_recv(k, &c, 1);
  int tfd = TRACE(k->pid, 0);
  TSET(tfd, PROC_STOP_SIGNAL);
  OK(kill(k->pid, SIGUSR1));
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
  EXPECT_STOP(k->pid, "signal");
  CHECK_EQ(ev.a, SIGUSR1);
  CHECK_EQ(ev.b, (uint64_t)usr1_handler);
  return tfd;
}

// From the SIGUSR1 stop, resume with flags: the handler runs (ran) or not.
static void usr1_resume(uint64_t flags, unsigned char ran_want) {
  struct kid k;
  int tfd = usr1_stop(&k);
  TSET(tfd, flags);
  kid_send(&k, 1);
  unsigned char ran;
  kid_recv(&k, &ran, 1);
  CHECK_EQ(ran, ran_want);
  KID_END(&k, tfd, 0);
}

static void t_signal_dropped(void) {
  usr1_resume(PROC_STOP_SIGNAL | PROC_FLAG_IGNORE, 0);
}

static void t_signal_delivered(void) { usr1_resume(PROC_STOP_SIGNAL, 1); }

// A SIGKILL that comes while the target is stopped for a signal whose default action
// ends it ends it with SIGKILL, not with the signal it was stopped for (Linux).
static void t_sigkill_at_signal_stop(void) {
  struct kid k;
  kid_start(&k, kid_spin);
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_STOP_SIGNAL);
  OK(kill(k.pid, SIGUSR1)); // no handler: its default action is to terminate
  CHECK_EQ(EV_EXPECT(tfd, PROC_STOP_SIGNAL).a, SIGUSR1);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// SIGKILL is never reported as a signal stop, and ends the target from any stop.
static void t_sigkill_not_stopped(void) {
  struct kid k;
  kid_start(&k, kid_spin);
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_STOP_SIGNAL | PROC_STOP_EXIT);
  OK(kill(k.pid, SIGKILL));
  struct proc_event ev = EV_NEXT(tfd);
  if (ev.cause == PROC_STOP_EXIT) { // the exit stop is allowed; it shows the SIGKILL
    CHECK_EQ(ev.a, SIGKILL);
    TSET(tfd, 0);
    ev = EV_NEXT(tfd);
  }
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  CHECK_EQ(ev.a, SIGKILL);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

// SIGKILL at a syscall-entry stop: the process dies, the call never runs.
static void t_sigkill_at_syscall_entry(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_x, PROC_STOP_PRE_SYSCALL);
  EV_SYSCALL(tfd, PROC_STOP_PRE_SYSCALL, PROC_STOP_PRE_SYSCALL, SYS_write);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 0); // end of file: nothing was written
}

// SIGKILL racing register and memory writes (CVE-2013-0871 class): each write either
// happens or fails cleanly (EBUSY once the target is no longer stopped, ESRCH once it
// is gone); the target dies of SIGKILL.
static void t_sigkill_races_writes(void) {
  for (int round = 0; round < 12; round++) {
    ctx("[round %d]", round);
    struct kid k;
    int tfd = KID_STOPPED(&k, kid_read_exit);
    int regs = POPEN(k.pid, "regs/int", O_RDWR), mem = POPEN(k.pid, "mem", O_RDWR);
    int fpu = POPEN(k.pid, "regs/float", O_RDWR);
    regs_t r;
    fpregs_t f;
    CHECK_EQ(pread(regs, &r, sizeof r, 0), sizeof r);
    CHECK_EQ(pread(fpu, &f, sizeof f, 0), sizeof f);
    OK(kill(k.pid, SIGKILL));
    for (int i = 0; i < round % 4; i++)
      sched_yield();
    for (int i = 0; i < 4; i++) {
      long a = pwrite(regs, &r, sizeof r, 0);
      CHECK(a == sizeof r || errno == EBUSY || errno == ESRCH);
      long b = mem_pwrite(mem, &r, 8, (uint64_t)&g_counter);
      CHECK(b == 8 || errno == EBUSY || errno == ESRCH);
      long c = pwrite(fpu, &f, sizeof f, 0);
      CHECK(c == sizeof f || errno == EBUSY || errno == ESRCH);
      if (round & 4)
        sched_yield();
    }
    KID_END(&k, tfd, SIGKILL);
    EXPECT_ERR(pwrite(regs, &r, sizeof r, 0), ESRCH);
    close(regs);
    close(mem);
    close(fpu);
    close(tfd);
  }
}

// SIGKILL at a signal stop and in a job-control stop of a traced process.
static void t_sigkill_other_stops(void) {
  struct kid k;
  int tfd = usr1_stop(&k);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
  kid_start(&k, kid_read_exit);
  tfd = TRACE(k.pid, 0);
  OK(kill(k.pid, SIGSTOP));
  int st;
  CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
  CHECK(WIFSTOPPED(st));
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// Job control is independent of tracing: the parent sees SIGSTOP and SIGCONT through
// wait4 (WUNTRACED, WCONTINUED) whether or not the signals stop for the tracer first.
static void t_job_control_traced(void) {
  for (int round = 0; round < 2; round++) {
    ctx("[signal stops %s]", round ? "on" : "off");
    struct kid k;
    kid_start(&k, kid_read_exit);
    int tfd = TRACE(k.pid, 0);
    uint64_t fl = round ? PROC_STOP_SIGNAL : 0;
    TSET(tfd, fl);
    OK(kill(k.pid, SIGSTOP));
    if (round) {
      struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
      CHECK_EQ(ev.a, SIGSTOP);
      TSET(tfd, fl); // deliver it
    }
    int st;
    CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK_EQ(status_field(k.pid, "State")[0], 'T');
    CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
    OK(kill(k.pid, SIGCONT));
    CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WCONTINUED, NULL)), k.pid);
    CHECK(WIFCONTINUED(st));
    kid_send(&k, 6);
    struct proc_event ev;
    // SIGCONT's default action is to do nothing: whether it is reported as a signal
    // stop is not specified. If it is, it is SIGCONT.
    while ((ev = EV_NEXT(tfd)).cause == PROC_STOP_SIGNAL) {
      CHECK_EQ(ev.a, SIGCONT);
      TSET(tfd, fl);
    }
    CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
    CHECK_EQ(ev.a, 6 << 8);
    EXPECT_EXIT(wait_for(k.pid), 6);
  }
}

// A process in a trace stop is not resumed by SIGCONT.
static void t_sigcont_keeps_trace_stop(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_spin);
  uint64_t c1 = peek64(k.pid, &g_counter);
  OK(kill(k.pid, SIGCONT));
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1);
  EXPECT_STOP(k.pid, "interrupt");
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r); // still in the stop: writable
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// O_TRUNC on a job-stopped process stops it for the tracer at once (an INTERRUPT
// event, registers writable) without waiting for a SIGCONT; SIGCONT does not end that
// trace stop.
static void t_attach_job_stopped(void) {
  struct kid k;
  kid_start(&k, kid_spin);
  OK(kill(k.pid, SIGSTOP));
  int st;
  CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
  CHECK(WIFSTOPPED(st));
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  uint64_t c1 = peek64(k.pid, &g_counter);
  OK(kill(k.pid, SIGCONT));
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1);
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

const struct ut_test signals_tests[] = {
    UT(signal_dropped), UT(signal_delivered), UT(sigkill_at_signal_stop), UT(sigkill_not_stopped),
    UT(sigkill_at_syscall_entry), UT(sigkill_other_stops), UT(sigkill_races_writes),
    UT(job_control_traced), UT(sigcont_keeps_trace_stop), UT(attach_job_stopped)
};
const size_t signals_ntests = UT_NTESTS(signals_tests);
