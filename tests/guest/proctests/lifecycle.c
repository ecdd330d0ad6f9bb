// proctests, lifecycle: attach, stop, resume, exit.
#include "proctests.h"

// O_TRUNC stops a target busy in user mode; writing 0 lets it run; its death is
// reported once and the real parent still reaps it.
static void t_attach_spin(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_spin);
  EXPECT_STOP(k.pid, "interrupt");
  char me[16];
  snprintf(me, sizeof me, "%ld", (long)getpid());
  CHECK(strcmp(status_field(k.pid, "TracerPid"), me) == 0);
  uint64_t c1 = peek64(k.pid, &g_counter);
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1); // stopped: no progress
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1); // running again
  CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
  OK(kill(k.pid, SIGTERM));
  EXPECT_EXITED(tfd, SIGTERM);
  struct proc_event ev;
  EXPECT_ERR(read(tfd, &ev, sizeof ev), ESRCH); // and it stays that way
  EXPECT_KILLED(wait_for(k.pid), SIGTERM);
}

// O_TRUNC interrupts a target blocked in read; the read restarts when it resumes.
static void t_attach_blocked_read(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  sleep_ms(10); // let it block
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, SYS_read);
  TSET(tfd, 0);
  CHECK(wait_state(k.pid, "S")); // blocked in the restarted read
  kid_send(&k, 42);
  KID_END(&k, tfd, 42 << 8);
}

// The tracer is not the parent: it sees the exit stop and the EXITED record once; the
// real parent reaps, with the same status.
static void t_exit_seen_by_tracer_reaped_by_parent(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate traced = gate_new();
  long x = xfork();
  if (x == 0) {
    int tfd = TRACE(k.pid, 0);
    TSET(tfd, PROC_STOP_EXIT);
    gate_open(&traced);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXIT);
    CHECK_EQ(ev.a, 7 << 8);
    TSET(tfd, 0);
    EXPECT_EXITED(tfd, 7 << 8);
    _exit(0);
  }
  gate_pass(&traced);
  kid_send(&k, 7);
  EXPECT_EXIT(wait_for(k.pid), 7);
  EXPECT_EXIT(wait_for(x), 0);
}

// PROC_STOP_EXIT: a = the wait status; the target is not a zombie yet and its memory
// and registers can still be read.
static void t_exit_stop(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_STOP_EXIT);
  kid_send(&k, 5);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXIT);
  CHECK_EQ(ev.a, 5 << 8);
  EXPECT_STOP(k.pid, "exit");
  int st;
  CHECK_EQ(syscall(SYS_wait4, k.pid, &st, WNOHANG, NULL), 0); // not reapable yet
  (void)peek64(k.pid, &g_counter);
  regs_t r;
  regs_get(k.pid, &r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 5 << 8);
}

static void t_attach_errors(void) {
  EXPECT_ERR(open("/proc/self/trace", O_RDWR), EPERM);
  EXPECT_ERR(open(ppath(getpid(), "trace"), O_RDWR), EPERM);
  EXPECT_ERR(open(ppath(getpid(), "trace"), O_RDWR | O_TRUNC), EPERM);
  EXPECT_ERR(open("/proc/1/trace", O_RDWR), EPERM);
  EXPECT_ERR(open("/proc/1/trace", O_RDWR | O_TRUNC | O_EXCL), EPERM);
  EXPECT_ERR(open("/proc/999999/trace", O_RDWR), ENOENT);
  EXPECT_ERR(open("/proc/999999/regs/int", O_RDONLY), ENOENT);
  EXPECT_ERR(open("/proc/999999/mem", O_RDONLY), ENOENT);
  struct kid k;
  kid_start(&k, kid_read_exit);
  EXPECT_ERR(open(ppath(k.pid, "nosuchfile"), O_RDONLY), ENOENT);
  int tfd = TRACE(k.pid, 0);
  EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR), EBUSY);
  EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR | O_TRUNC), EBUSY);
  long x = xfork(); // someone else: still one session per process
  if (x == 0) {
    EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR), EBUSY);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(x), 0);
  close(tfd);
  tfd = TRACE(k.pid, 0); // the session is gone with its descriptor
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// Handles opened before the target exits fail with ESRCH afterwards (zombie or reaped).
static void t_stale_after_exit(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int mem = POPEN(k.pid, "mem", O_RDONLY), regs = POPEN(k.pid, "regs/int", O_RDONLY);
  int fpu = POPEN(k.pid, "regs/float", O_RDONLY), dbg = POPEN(k.pid, "regs/debug", O_RDONLY);
  int status = POPEN(k.pid, "status", O_RDONLY), maps = POPEN(k.pid, "maps", O_RDONLY);
  char b[512];
  CHECK_EQ(mem_pread(mem, b, 8, (uint64_t)&g_counter), 8);
  CHECK_EQ(pread(regs, b, 216, 0), 216);
  kid_send(&k, 3);
  // Its descriptors close as it exits; it is a zombie by the time we run again.
  CHECK_EQ(read(k.res, b, 1), 0);
  for (int round = 0; round < 2; round++) { // as a zombie, then reaped
    ctx("[round %d]", round);
    EXPECT_ERR(mem_pread(mem, b, 8, (uint64_t)&g_counter), ESRCH);
    EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
    EXPECT_ERR(pread(fpu, b, 512, 0), ESRCH);
    EXPECT_ERR(pread(dbg, b, 48, 0), ESRCH);
    EXPECT_ERR(pread(status, b, sizeof b, 0), ESRCH);
    EXPECT_ERR(pread(maps, b, sizeof b, 0), ESRCH);
    if (round == 0)
      EXPECT_EXIT(wait_for(k.pid), 3);
  }
}

// Exec: handles opened on the old program die (ESRCH), even for the tracer of a
// stopped target; the session survives and reports PROC_STOP_EXEC at the new entry.
void kid_exec_wait(void) {
  if (kid_get() < 0)
    _exit(99);
  dup2(g_kcmd, 0);
  char *argv[] = {"proctests", "--wait", NULL};
  execve(g_self, argv, NULL);
  _exit(98);
}

// Wait (up to 3 s) until pid runs `proctests --wait` (its cmdline says so).
void wait_for_exec(long pid) {
  for (int i = 0; i < 300; i++) {
    char b[256];
    int fd = open(ppath(pid, "cmdline"), O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
    if (fd >= 0)
      close(fd);
    if (n > 0 && memmem(b, n, "--wait", 7))
      return;
    sleep_ms(10);
  }
  fail_at(__LINE__, "process %ld never ran proctests --wait", pid);
}

// Without any stop: handles opened before the exec fail with ESRCH after it (also a
// write, which a live handle would refuse with EBUSY), new ones work.
static void t_stale_after_exec(void) {
  struct kid k;
  kid_start(&k, kid_exec_wait);
  int mem = POPEN(k.pid, "mem", O_RDWR), regs = POPEN(k.pid, "regs/int", O_RDWR);
  int fpu = POPEN(k.pid, "regs/float", O_RDONLY), maps = POPEN(k.pid, "maps", O_RDONLY);
  kid_send(&k, 1);
  wait_for_exec(k.pid);
  uint64_t entry = elf_entry(g_self);
  char b[512];
  EXPECT_ERR(mem_pread(mem, b, 8, entry), ESRCH);
  EXPECT_ERR(mem_pwrite(mem, "\xcc", 1, entry), ESRCH);
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pwrite(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pread(fpu, b, 512, 0), ESRCH);
  EXPECT_ERR(pread(maps, b, sizeof b, 0), ESRCH);
  int mem2 = POPEN(k.pid, "mem", O_RDONLY);
  CHECK_EQ(mem_pread(mem2, b, 16, entry), 16);
  CHECK(memcmp(b, (void *)entry, 16) == 0);
  kid_send(&k, 34);
  EXPECT_EXIT(wait_for(k.pid), 34);
}

static void t_exec_stop(void) {
  struct kid k;
  kid_start(&k, kid_exec_wait);
  int tfd = TRACE(k.pid, 0);
  int mem = POPEN(k.pid, "mem", O_RDWR), regs = POPEN(k.pid, "regs/int", O_RDWR);
  int status = POPEN(k.pid, "status", O_RDONLY);
  TSET(tfd, PROC_STOP_EXEC);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXEC);
  EXPECT_STOP(k.pid, "exec");
  uint64_t entry = elf_entry(g_self);
  CHECK_EQ(ev.a, entry);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, entry);
  CHECK(r.rsp > 0x7f0000000000UL && r.rsp < 0x800000000000UL);
  char b[512];
  EXPECT_ERR(mem_pread(mem, b, 8, entry), ESRCH);
  EXPECT_ERR(mem_pwrite(mem, "\xcc", 1, entry), ESRCH); // never into the new program
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pwrite(regs, &r, 216, 0), ESRCH);
  EXPECT_ERR(pread(status, b, sizeof b, 0), ESRCH);
  int mem2 = POPEN(k.pid, "mem", O_RDWR); // a new handle works
  CHECK_EQ(mem_pread(mem2, b, 16, entry), 16);
  CHECK(memcmp(b, (void *)entry, 16) == 0); // the same program: the same entry code
  TSET(tfd, 0);
  kid_send(&k, 33);
  KID_END(&k, tfd, 33 << 8);
}

// Closing the session releases a stopped target: it continues where it was.
static void t_close_releases(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  kid_send(&k, 5); // it is stopped: the byte waits
  sleep_ms(SETTLE_MS);
  int st;
  CHECK_EQ(syscall(SYS_wait4, k.pid, &st, WNOHANG, NULL), 0);
  close(tfd);
  EXPECT_EXIT(wait_for(k.pid), 5);
}

// At a syscall-entry stop, closing lets the call run.
void kid_write_x(void) {
  if (kid_get() < 0)
    _exit(99);
  CHECK_EQ(syscall(SYS_write, g_kres, "x", 1), 1);
  _exit(0);
}

static void t_close_at_syscall_entry(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_x, PROC_STOP_PRE_SYSCALL);
  EV_SYSCALL(tfd, PROC_STOP_PRE_SYSCALL, PROC_STOP_PRE_SYSCALL, SYS_write);
  CHECK(!readable(k.res, SETTLE_MS)); // not yet written
  close(tfd);
  char c;
  kid_recv(&k, &c, 1);
  CHECK_EQ(c, 'x');
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// O_EXCL: closing the session kills the target (stopped or running).
static void t_close_excl_kills(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = attach_stopped_at(__LINE__, k.pid, O_EXCL);
  close(tfd);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
  kid_start(&k, kid_spin);
  tfd = TRACE(k.pid, O_EXCL);
  sleep_ms(10);
  close(tfd);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

// The tracer's death closes its descriptors: the target is released (or, with O_EXCL,
// killed).
static void tracer_dies(int excl) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate attached = gate_new();
  long x = xfork();
  if (x == 0) {
    attach_stopped_at(__LINE__, k.pid, excl);
    gate_open(&attached);
    _exit(0); // the session still open
  }
  gate_pass(&attached);
  EXPECT_EXIT(wait_for(x), 0);
  if (!excl) // (a killed kid reads no more: the write could raise SIGPIPE)
    kid_send(&k, 4);
  int st = wait_for(k.pid);
  if (excl)
    EXPECT_KILLED(st, SIGKILL);
  else
    EXPECT_EXIT(st, 4);
}
static void t_tracer_exit_releases(void) { tracer_dies(0); }
static void t_tracer_exit_excl_kills(void) { tracer_dies(O_EXCL); }

// The same file under its three names.
static void t_three_names(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  static const char *const names[3] = {"proc:%ld/regs/int", "/scheme/proc/%ld/regs/int",
                                       "/proc/%ld/regs/int"};
  regs_t r[3];
  for (int i = 0; i < 3; i++) {
    char p[80];
    snprintf(p, sizeof p, names[i], k.pid);
    int fd = OK(open(p, O_RDONLY));
    CHECK_EQ(read(fd, &r[i], sizeof r[i]), sizeof r[i]);
    close(fd);
  }
  CHECK(memcmp(&r[0], &r[1], sizeof r[0]) == 0 && memcmp(&r[0], &r[2], sizeof r[0]) == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// A failed exec is no exec: its syscall-exit shows the error, no PROC_STOP_EXEC.
static void kid_exec_fails(void) {
  if (kid_get() < 0)
    _exit(99);
  char *argv[] = {"x", NULL};
  long r = syscall(SYS_execve, "/no/such/program", argv, NULL);
  _exit(r == -1 && errno == ENOENT ? 0 : 1);
}

static void t_exec_failed_no_stop(void) {
  struct kid k;
  kid_start(&k, kid_exec_fails);
  int tfd = TRACE(k.pid, 0);
  uint64_t set[8] = {0};
  set[SYS_execve / 64] = 1UL << (SYS_execve % 64);
  int sf = POPEN(k.pid, "sysfilter", O_WRONLY);
  CHECK_EQ(write(sf, set, sizeof set), sizeof set);
  TSET(tfd, PROC_STOP_EXEC | PROC_STOP_POST_SYSCALL);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_execve);
  CHECK_EQ(ev.b, -ENOENT);
  TSET(tfd, PROC_STOP_EXEC | PROC_STOP_POST_SYSCALL);
  KID_END(&k, tfd, 0);
}

const struct ut_test lifecycle_tests[] = {
    UT(attach_spin), UT(attach_blocked_read), UT(exit_seen_by_tracer_reaped_by_parent),
    UT(exit_stop), UT(attach_errors), UT(stale_after_exit), UT(exec_stop),
    UT(close_releases), UT(close_at_syscall_entry), UT(close_excl_kills),
    UT(tracer_exit_releases), UT(tracer_exit_excl_kills), UT(three_names),
    UT(stale_after_exec), UT(exec_failed_no_stop)
};
const size_t lifecycle_ntests = UT_NTESTS(lifecycle_tests);
