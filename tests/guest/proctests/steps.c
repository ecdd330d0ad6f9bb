// proctests, single steps and breakpoints.
#include "proctests.h"

// Run a kid that calls probe() on command and exits 0 if check(probe's result) holds;
// stop it at the marker's syscall-entry stop (rip == after). Returns the session.
uint64_t (*g_probe)(void);
int (*g_probe_ok)(uint64_t);
void kid_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t v = g_probe();
  _exit(g_probe_ok(v) ? 0 : 1);
}

static int tf_clear(uint64_t fl) { return !(fl & FL_TF); }

// Trace kid k (waiting for a command) and run it to the marker's syscall stop `cause`
// (PROC_STOP_PRE_SYSCALL or PROC_STOP_POST_SYSCALL) whose rip is after; the registers
// there in *r (unless r is NULL).
int marker_stop(struct kid *k, const char *after, uint64_t cause, regs_t *r) {
  int tfd = TRACE(k->pid, 0);
  TSET(tfd, cause);
  kid_send(k, 1);
  for (int i = 0; i < 50; i++) {
    EV_SYSCALL(tfd, cause, cause, SYS_getpid);
    regs_t now;
    regs_get(k->pid, &now);
    if (now.rip == (uint64_t)after) {
      if (r)
        *r = now;
      return tfd;
    }
    TSET(tfd, cause);
  }
  fail_at(__LINE__, "the probe's marker never stopped");
}

// A kid_probe running probe (its result must satisfy ok) at the marker's entry stop.
int start_at_marker(struct kid *k, uint64_t (*probe)(void), int (*ok)(uint64_t),
                           const char *after, regs_t *r) {
  g_probe = probe, g_probe_ok = ok;
  kid_start(k, kid_probe);
  return marker_stop(k, after, PROC_STOP_PRE_SYSCALL, r);
}

// Step from stop to stop: each step runs exactly one instruction (the next label), a
// step over `syscall` ends right after it with the call done, and TF is clear when the
// program looks after stepping ended.
static void t_step_exact(void) {
  CHECK_EQ(step_b - step_a, 1); // the encodings the test assumes
  CHECK_EQ(step_c - step_b, 3);
  CHECK_EQ(step_d - step_c, 5);
  CHECK_EQ(step_e - step_d, 2);
  struct kid k;
  int tfd = start_at_marker(&k, step_probe_fn, tf_clear, step_a, NULL);
  const char *next[] = {step_a, step_b, step_c, step_d, step_e};
  regs_t before, r;
  for (int i = 0; i < 5; i++) { // the first step is over the marker's own syscall
    ctx("[step to label %d]", i);
    regs_get(k.pid, &before);
    TSET(tfd, PROC_STOP_SINGLESTEP);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    EXPECT_STOP(k.pid, "singlestep");
    regs_get(k.pid, &r);
    CHECK_EQ(ev.a, (uint64_t)next[i]);
    CHECK_EQ(r.rip, (uint64_t)next[i]);
    CHECK(!(r.eflags & FL_TF)); // the kernel's TF is not shown at a stop
    if (next[i] == step_a)
      CHECK_EQ(r.rax, k.pid); // getpid ran
    if (next[i] == step_c)
      CHECK_EQ(r.rdx, before.rdx + 1); // inc %rdx, and nothing more
    if (next[i] == step_d)
      CHECK_EQ(r.rax, SYS_getppid);
    if (next[i] == step_e)
      CHECK_EQ(r.rax, getpid()); // getppid ran during the step
  }
  ctx("%s", "");
  TSET(tfd, 0);
  KID_END(&k, tfd, 0); // the pushed flags had TF clear
}

// The session closes with a step requested: the kernel's TF goes too.
static void t_step_close_midstep(void) {
  for (int round = 0; round < 2; round++) {
    ctx("[round %d]", round);
    struct kid k;
    int tfd = start_at_marker(&k, step_probe_fn, tf_clear, step_a, NULL);
    if (round == 1) { // one step done, a second one requested
      TSET(tfd, PROC_STOP_SINGLESTEP);
      EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    }
    TSET(tfd, PROC_STOP_SINGLESTEP);
    close(tfd);
    EXPECT_EXIT(wait_for(k.pid), 0); // no SIGTRAP, and TF clear in the pushed flags
  }
}

// A step into a signal handler ends at the handler's first instruction; after the
// handler returns, TF is still not the program's.
static void spin_handler(int sig) {
  (void)sig;
  spin_flag = 1;
}

static void kid_spin_probe(void) {
  struct sigaction sa = {.sa_handler = spin_handler};
  OK(sigaction(SIGUSR1, &sa, NULL));
  kid_put("r", 1);
  uint64_t fl = spin_probe_fn();
  _exit(fl & FL_TF ? 1 : 0);
}

static void t_step_into_handler(void) {
  struct kid k;
  kid_start(&k, kid_spin_probe);
  char c;
  kid_recv(&k, &c, 1);
  int tfd = -1;
  regs_t r;
  for (int tries = 0; tries < 100; tries++) { // stop it inside the loop
    tfd = ATTACH_STOPPED(k.pid);
    regs_get(k.pid, &r);
    if (r.rip >= (uint64_t)spin_probe && r.rip < (uint64_t)spin_end)
      break;
    close(tfd); // released: try again a little later
    tfd = -1;
    sleep_ms(5);
  }
  CHECK(tfd >= 0);
  OK(kill(k.pid, SIGUSR1));
  struct proc_event ev = {0};
  int steps = 0;
  for (; steps < 6; steps++) {
    TSET(tfd, PROC_STOP_SINGLESTEP);
    ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    if (ev.a == (uint64_t)spin_handler)
      break;
    ctx("[step %d at %#lx]", steps, (unsigned long)ev.a);
    CHECK(ev.a >= (uint64_t)spin_probe && ev.a < (uint64_t)spin_end); // still in the loop
  }
  CHECK_EQ(ev.a, (uint64_t)spin_handler);
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)spin_handler);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0); // the handler returned with TF not set
}

// A step over fork: TF does not go to the child (it would die of SIGTRAP).
static void kid_fork_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = fork_probe_fn();
  if (pid == 0) {
    uint64_t fl;
    __asm__ volatile("pushfq; pop %0" : "=r"(fl));
    _exit(fl & FL_TF ? 2 : 0);
  }
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  _exit(st == 0 ? 0 : WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
}

// Stepping reaches the second syscall instruction through syscall-exit stops only
// (a step over the marker), so only the system-call path is involved.
static void t_step_over_fork(void) {
  struct kid k;
  kid_start(&k, kid_fork_probe);
  int tfd = marker_stop(&k, fork_syscall, PROC_STOP_PRE_SYSCALL, NULL);
  TSET(tfd, PROC_STOP_SINGLESTEP);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
  CHECK_EQ(ev.a, (uint64_t)fork_syscall);
  regs_t r;
  regs_get(k.pid, &r);
  r.rax = SYS_fork;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_SINGLESTEP);
  ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
  CHECK_EQ(ev.a, (uint64_t)fork_after);
  regs_get(k.pid, &r);
  CHECK((long)r.rax > 0); // the child's pid
  TSET(tfd, 0);
  ev = EV_EXPECT(tfd, PROC_EVENT_EXITED);
  if (ev.a != 0)
    fail_at(__LINE__, "kid %s (exit 100+N: the child got signal N; 2: TF set in the child)",
            describe((int)ev.a));
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// ---------------------------------------------------------------------------------
// Breakpoints

static void kid_bp(void) {
  if (kid_get() < 0)
    _exit(99);
  _exit(bp_probe_fn() == 7 ? 0 : 1);
}

// int3 with PROC_STOP_BREAKPOINT: rip points at the 0xCC byte, and stays there (a second
// resume hits it again) until the tracer moves it.
static void t_int3_stop(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_BREAKPOINT);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  EXPECT_STOP(k.pid, "breakpoint");
  CHECK_EQ(ev.a, (uint64_t)bp_probe);
  CHECK_EQ(*(unsigned char *)bp_probe, 0xcc);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)bp_probe);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  CHECK_EQ(ev.a, (uint64_t)bp_probe);
  regs_get(k.pid, &r);
  r.rip = (uint64_t)bp_after;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  KID_END(&k, tfd, 0);
}

// Without a session, or a session that did not ask for breakpoints, int3 is SIGTRAP.
static void t_int3_sigtrap(void) {
  struct kid k;
  kid_start(&k, kid_bp);
  kid_send(&k, 1);
  EXPECT_KILLED(wait_for(k.pid), SIGTRAP);
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_PRE_SYSCALL);
  for (;;) { // syscall stops until the end
    struct proc_event ev = EV_NEXT(tfd);
    if (ev.cause == PROC_EVENT_EXITED) {
      CHECK_EQ(ev.a, SIGTRAP | CORE_BIT);
      break;
    }
    CHECK(ev.cause == PROC_STOP_PRE_SYSCALL);
    TSET(tfd, PROC_STOP_PRE_SYSCALL);
  }
  EXPECT_KILLED(wait_for(k.pid), SIGTRAP);
}

// With PROC_STOP_SIGNAL only, the int3's SIGTRAP stops; dropping it continues after
// the int3.
static void t_int3_signal_dropped(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_SIGNAL);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
  EXPECT_STOP(k.pid, "signal");
  CHECK_EQ(ev.a, SIGTRAP);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)bp_after);
  TSET(tfd, PROC_STOP_SIGNAL | PROC_FLAG_IGNORE);
  KID_END(&k, tfd, 0);
}

// On command: call poke_target(v) and exit 0 if it returned 3v+1.
void kid_poke(void) {
  volatile int v = 13;
  if (kid_get() < 0)
    _exit(99);
  _exit(poke_target(v) == 40 ? 0 : 1);
}

// A breakpoint poked into read-only text through mem: hit (rip at the byte), restored,
// and the function then runs as written. Text the tracer changes is the target's own
// copy: the tracer's copy (same program) and the file are untouched.
static void t_breakpoint_poked(void) {
  uint64_t fn = (uint64_t)poke_target;
  unsigned char orig = *(volatile unsigned char *)fn, b;
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_poke);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  CHECK_EQ(mem_pread(mem, &b, 1, fn), 1);
  CHECK_EQ(b, orig);
  CHECK_EQ(mem_pwrite(mem, "\xcc", 1, fn), 1);
  CHECK_EQ(mem_pread(mem, &b, 1, fn), 1);
  CHECK_EQ(b, 0xcc);
  CHECK_EQ(*(volatile unsigned char *)fn, orig); // ours is not theirs
  int self = OK(open(g_self, O_RDONLY));
  CHECK_EQ(pread(self, &b, 1, file_offset_of(g_self, fn)), 1);
  CHECK_EQ(b, orig);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  CHECK_EQ(ev.a, fn);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, fn);
  CHECK_EQ(mem_pwrite(mem, &orig, 1, fn), 1);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  KID_END(&k, tfd, 0);
}

const struct ut_test steps_tests[] = {
    UT(step_exact), UT(step_close_midstep), UT(step_into_handler), UT(step_over_fork),
    UT(int3_stop), UT(int3_sigtrap), UT(int3_signal_dropped), UT(breakpoint_poked)
};
const size_t steps_ntests = UT_NTESTS(steps_tests);
