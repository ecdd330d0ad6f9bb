// proctests, system-call stops: arguments, results, skipping, sysfilter.
#include "proctests.h"

#define NR_UNUSED 333 // a number the kernel does not implement (ENOSYS)
#define ARG(i) (0x1111111111111111UL * (i) + 0x0102030405UL)

// On command: a 6-argument call the kernel lacks, then write(g_kres, "hi!", 3).
const char g_hi[] = "hi!";
static void kid_args(void) {
  if (kid_get() < 0)
    _exit(99);
  long r = syscall(NR_UNUSED, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), ARG(6));
  if (r != -1 || errno != ENOSYS)
    _exit(1);
  CHECK_EQ(syscall(SYS_write, g_kres, g_hi, 3), 3);
  _exit(0);
}

// Syscall-entry shows the number and the first five arguments; syscall-exit the result.
static void t_syscall_args_and_result(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_args, SYSCALL_STOPS);
  struct proc_event ev = EV_SYSCALL(tfd, SYSCALL_STOPS, PROC_STOP_PRE_SYSCALL, NR_UNUSED);
  EXPECT_STOP(k.pid, "syscall-entry");
  CHECK_EQ(ev.b, ARG(1));
  CHECK_EQ(ev.c, ARG(2));
  CHECK_EQ(ev.d, ARG(3));
  CHECK_EQ(ev.e, ARG(4));
  CHECK_EQ(ev.f, ARG(5));
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, NR_UNUSED);
  CHECK_EQ(r.rdi, ARG(1));
  CHECK_EQ(r.r9, ARG(6)); // the sixth is in the registers
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  EXPECT_STOP(k.pid, "syscall-exit");
  CHECK_EQ(ev.a, NR_UNUSED);
  CHECK_EQ(ev.b, -ENOSYS);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_write);
  CHECK_EQ(ev.c, (uint64_t)g_hi);
  CHECK_EQ(ev.d, 3);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_write);
  CHECK_EQ(ev.b, 3);
  regs_get(k.pid, &r);
  CHECK_EQ(r.rax, 3);
  TSET(tfd, 0);
  char b[3];
  kid_recv(&k, b, 3);
  CHECK(memcmp(b, "hi!", 3) == 0);
  KID_END(&k, tfd, 0);
}

// On command: getpid, then write(g_kres, "x", 1), both of which the tracer skips; then
// close the answer pipe (so the parent sees whether anything came) and wait for a last
// command before exiting 0 if both calls returned what the tracer left.
static void kid_getpid_write(void) {
  if (kid_get() < 0)
    _exit(99);
  long r[2];
  r[0] = syscall(SYS_getpid);
  r[1] = syscall(SYS_write, g_kres, "x", 1);
  close(g_kres);
  kid_get();
  _exit(r[0] == 12345 && r[1] == 1 ? 0 : 1);
}

// Run to the entry stop of system call nr (through other syscall stops): its registers.
static regs_t entry_regs(const struct kid *k, int tfd, long nr) {
  EV_SYSCALL(tfd, SYSCALL_STOPS, PROC_STOP_PRE_SYSCALL, nr);
  regs_t r;
  regs_get(k->pid, &r);
  return r;
}

// Write r at an entry stop and run the call to its exit stop: that event.
static struct proc_event run_changed(const struct kid *k, int tfd, const regs_t *r) {
  CHECK_EQ(regs_put(k->pid, r), sizeof *r);
  TSET(tfd, SYSCALL_STOPS);
  return EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
}

// PROC_FLAG_IGNORE at syscall entry: the call does not run; the target sees the rax
// the tracer left.
static void t_syscall_skip(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_getpid_write, SYSCALL_STOPS);
  regs_t r;
  for (int nr = SYS_getpid, i = 0; i < 2; i++, nr = SYS_write) {
    ctx("[syscall %d]", nr);
    r = entry_regs(&k, tfd, nr);
    r.rax = nr == SYS_getpid ? 12345 : 1;
    CHECK_EQ(regs_put(k.pid, &r), sizeof r);
    TSET(tfd, SYSCALL_STOPS | PROC_FLAG_IGNORE);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
    CHECK_EQ(ev.a, nr);
    CHECK_EQ(ev.b, r.rax);
    if (i == 0)
      TSET(tfd, SYSCALL_STOPS);
  }
  ctx("%s", "");
  TSET(tfd, 0);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 0); // the skipped write wrote nothing (end of file)
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// On command: getpid, whose number the tracer turns into getppid.
static void kid_getpid_is_ppid(void) {
  long ppid = syscall(SYS_getppid);
  if (kid_get() < 0)
    _exit(99);
  long r = syscall(SYS_getpid);
  _exit(r == ppid ? 0 : 1);
}

static void t_syscall_change_number(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_getpid_is_ppid, SYSCALL_STOPS);
  regs_t r = entry_regs(&k, tfd, SYS_getpid);
  r.orig_rax = SYS_getppid;
  struct proc_event ev = run_changed(&k, tfd, &r);
  CHECK_EQ(ev.a, SYS_getppid);
  CHECK_EQ(ev.b, getpid());
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// The arguments at syscall entry and the result at syscall exit are the registers: a
// changed rsi/rdx is what the call uses, a changed rax is what the program gets.
static const char g_other[] = "other";
static void kid_write_getpid(void) {
  if (kid_get() < 0)
    _exit(99);
  long w = syscall(SYS_write, g_kres, "x", 1);
  long r = syscall(SYS_getpid);
  _exit(w == 5 && r == 4242 ? 0 : 1);
}

static void t_syscall_change_args_and_result(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_getpid, SYSCALL_STOPS);
  regs_t r = entry_regs(&k, tfd, SYS_write);
  r.rsi = (uint64_t)g_other, r.rdx = 5;
  struct proc_event ev = run_changed(&k, tfd, &r);
  CHECK_EQ(ev.b, 5);
  char b[5];
  kid_recv(&k, b, 5);
  CHECK(memcmp(b, "other", 5) == 0);
  TSET(tfd, SYSCALL_STOPS);
  EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  regs_get(k.pid, &r);
  r.rax = 4242;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Numbers outside the table, written by the tracer, give ENOSYS: never an index past
// the end of the table (CVE-2007-4573, CVE-2010-3301).
static void kid_many_getpid(void) {
  if (kid_get() < 0)
    _exit(99);
  for (int i = 0; i < 8; i++) {
    long r = syscall(SYS_getpid);
    if (r != -1 || errno != ENOSYS)
      _exit(10 + i);
  }
  _exit(0);
}

static void t_syscall_bad_number(void) {
  static const uint64_t bad[8] = {-1UL, 100000, 512, 511, -2UL, 1UL << 63, 0x7fffffffffffffffUL,
                                  (1UL << 32) + SYS_getpid};
  struct kid k;
  int tfd = KID_TRACED(&k, kid_many_getpid, SYSCALL_STOPS);
  for (int i = 0; i < 8; i++) {
    ctx("[number %#lx]", (unsigned long)bad[i]);
    regs_t r = entry_regs(&k, tfd, SYS_getpid);
    r.orig_rax = bad[i];
    struct proc_event ev = run_changed(&k, tfd, &r);
    CHECK_EQ(ev.a, bad[i]);
    CHECK_EQ(ev.b, -ENOSYS);
    regs_get(k.pid, &r);
    CHECK_EQ(r.rax, -ENOSYS);
    TSET(tfd, i < 7 ? SYSCALL_STOPS : 0); // (after the last, no stop at exit_group)
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// sysfilter: only the chosen calls stop; only the tracer may set it; 64 bytes exactly.
static void kid_three_calls(void) {
  if (kid_get() < 0)
    _exit(99);
  syscall(SYS_getppid);
  syscall(SYS_write, g_kres, "x", 1);
  syscall(SYS_getpid);
  syscall(SYS_getppid);
  _exit(0);
}

static void t_sysfilter(void) {
  struct kid k;
  kid_start(&k, kid_three_calls);
  EXPECT_ERR(open(ppath(k.pid, "sysfilter"), O_WRONLY), EPERM); // no session yet
  int tfd = TRACE(k.pid, 0);
  int sf = POPEN(k.pid, "sysfilter", O_WRONLY);
  uint64_t set[9] = {0};
  set[SYS_getpid / 64] = 1UL << (SYS_getpid % 64);
  EXPECT_ERR(write(sf, set, 63), EINVAL);
  EXPECT_ERR(write(sf, set, 65), EINVAL);
  CHECK_EQ(write(sf, set, 64), 64);
  TSET(tfd, SYSCALL_STOPS);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 1); // the write before it ran without a stop
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  CHECK_EQ(ev.b, k.pid);
  TSET(tfd, SYSCALL_STOPS);
  KID_END(&k, tfd, 0); // getppid and exit did not stop
}

// A non-tracer cannot open sysfilter even while a session exists.
static void t_sysfilter_not_tracer(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate traced = gate_new();
  long x = xfork(); // forked before the session: it holds no copy of it
  if (x == 0) {
    gate_pass(&traced);
    EXPECT_ERR(open(ppath(k.pid, "sysfilter"), O_WRONLY), EPERM);
    _exit(0);
  }
  int tfd = TRACE(k.pid, 0);
  gate_open(&traced);
  EXPECT_EXIT(wait_for(x), 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// A write while the target runs only changes the set: the blocked read that was in
// progress is reported at its exit, nothing is lost or invented.
void kid_read_then_getppid(void) {
  int c = kid_get();
  syscall(SYS_getppid);
  _exit(c < 0 ? 99 : c);
}

// Events already queued are not lost by writes: the INTERRUPT record, left unread
// while the target is resumed and stopped again, is still there, oldest first.
static void t_write_keeps_queued_events(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S"));
  int tfd = TRACE(k.pid, O_TRUNC);
  CHECK(wait_state(k.pid, "t")); // stopped; the event is queued, not read
  TSET(tfd, PROC_STOP_PRE_SYSCALL); // resumes it
  kid_send(&k, 22);
  CHECK(wait_state(k.pid, "t")); // at the entry of the read it restarts
  struct proc_event ev[3];
  CHECK_EQ(read(tfd, ev, sizeof ev), 2 * sizeof ev[0]);
  CHECK_EQ(ev[0].cause, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev[0].a, k.pid);
  CHECK_EQ(ev[1].cause, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev[1].a, SYS_read);
  TSET(tfd, 0);
  KID_END(&k, tfd, 22 << 8);
}

static void t_rearm_while_running(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  int tfd = TRACE(k.pid, 0);
  CHECK(wait_state(k.pid, "S"));
  TSET(tfd, PROC_STOP_PRE_SYSCALL);
  TSET(tfd, 0);
  TSET(tfd, SYSCALL_STOPS | PROC_STOP_EXIT);
  TSET(tfd, SYSCALL_STOPS);
  CHECK(!readable(tfd, 0)); // no event made up
  CHECK_EQ(status_field(k.pid, "State")[0], 'S'); // not resumed or stopped by the writes
  regs_t r;
  regs_get(k.pid, &r);
  EXPECT_ERR(regs_put(k.pid, &r), EBUSY); // running: not in a trace stop
  int mem = POPEN(k.pid, "mem", O_RDWR);
  EXPECT_ERR(mem_pwrite(mem, "x", 1, (uint64_t)&g_counter), EBUSY);
  kid_send(&k, 9);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL); // the read in progress
  CHECK_EQ(ev.a, SYS_read);
  CHECK_EQ(ev.b, 1);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_getppid);
  TSET(tfd, 0);
  KID_END(&k, tfd, 9 << 8);
}

// A target already blocked in a call when the tracer attaches and arms the stops still
// stops at that call's exit (as on Linux); nothing is reported for its entry.
static void t_attach_while_blocked(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S")); // in read before the tracer exists
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, SYSCALL_STOPS);
  CHECK(!readable(tfd, 0));
  kid_send(&k, 5);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_read);
  CHECK_EQ(ev.b, 1);
  TSET(tfd, 0);
  KID_END(&k, tfd, 5 << 8);
}

// A read of the session into a bad buffer fails with EFAULT and loses nothing: the event
// is still there for the next read.
static void t_event_bad_buffer(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S"));
  int tfd = TRACE(k.pid, O_TRUNC);
  CHECK(readable(tfd, 2000));
  EXPECT_ERR(read(tfd, (void *)16, sizeof(struct proc_event)), EFAULT); // unmapped
  EXPECT_ERR(read(tfd, (void *)t_event_bad_buffer, sizeof(struct proc_event)), EFAULT); // text
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev.a, k.pid);
  CHECK(!readable(tfd, 0)); // exactly one event: none lost, none doubled
  TSET(tfd, 0);
  kid_send(&k, 6);
  KID_END(&k, tfd, 6 << 8);
}

const struct ut_test syscalls_tests[] = {
    UT(syscall_args_and_result), UT(syscall_skip), UT(syscall_change_number),
    UT(syscall_change_args_and_result), UT(syscall_bad_number), UT(sysfilter),
    UT(sysfilter_not_tracer), UT(rearm_while_running), UT(attach_while_blocked),
    UT(event_bad_buffer), UT(write_keeps_queued_events)
};
const size_t syscalls_ntests = UT_NTESTS(syscalls_tests);
