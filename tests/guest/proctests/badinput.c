// proctests, bad input: garbage written to every proc: file, and the trace file's own
// rules (flags, short reads, zero-length I/O, O_NONBLOCK, poll).
#include "proctests.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15;
static uint64_t rnd(void) { // xorshift64: the same garbage on every run
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

static void garbage(unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    b[i] = rnd();
}

// A target's whole register state, to show that refused writes changed nothing.
struct snapshot {
  regs_t r;
  fpregs_t f;
  uint64_t d[6];
};

static void snapshot(long pid, struct snapshot *s) {
  memset(s, 0, sizeof *s); // (padding, for memcmp)
  regs_get(pid, &s->r);
  fpu_get(pid, &s->f);
  dbg_get(pid, s->d);
}

// Garbage of every size 1..299 and some large ones, except the one valid size: every
// write is refused with an errno. (mem: at offset 0, an unmapped address.)
static void garbage_every_size(int fd, const char *file, size_t valid) {
  static unsigned char buf[70000];
  static const size_t big[] = {511, 512, 513, 1024, 4095, 4096, 4097, 16384, 65536, 70000};
  for (size_t n = 1; n < 300 + sizeof big / sizeof big[0]; n++) {
    size_t len = n < 300 ? n : big[n - 300];
    if (len == valid)
      continue;
    garbage(buf, len);
    if (len == 512)
      memset(buf + 24, 0xff, 4); // mxcsr: surely outside the mask
    if (len == 8)
      buf[7] |= 0x80; // trace flags: an unknown bit
    ctx("[%s: %zu bytes]", file, len);
    errno = 0;
    long r = write(fd, buf, len);
    if (r != -1 || errno == 0)
      fail_at(__LINE__, "write gave %ld, want an error", r);
  }
  ctx("%s", "");
}

// Garbage to every writable file: each write fails, and the target is unaffected (same
// registers, still stopped, then runs on normally). The read-only files cannot even be
// opened for writing.
static void t_garbage_writes(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  struct snapshot before, after;
  snapshot(k.pid, &before);
  static const struct {
    const char *file;
    size_t valid; // the one size a write may have (its contents tested elsewhere)
  } files[] = {{"regs/int", 0}, {"regs/float", 0}, {"regs/debug", 0}, {"sysfilter", 64},
               {"mem", 0}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    int fd = POPEN(k.pid, files[i].file, O_WRONLY);
    garbage_every_size(fd, files[i].file, files[i].valid);
    close(fd);
  }
  garbage_every_size(tfd, "trace", 0);
  static const char *const ro[] = {"status", "stat", "cmdline", "maps"};
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
    ctx("[open %s for writing]", ro[i]);
    EXPECT_ERR(open(ppath(k.pid, ro[i]), O_WRONLY), EACCES);
  }
  ctx("[open regs for writing]");
  EXPECT_ERR(open(ppath(k.pid, "regs"), O_WRONLY), EISDIR);
  ctx("%s", "");
  snapshot(k.pid, &after);
  CHECK(memcmp(&before, &after, sizeof before) == 0);
  EXPECT_STOP(k.pid, "interrupt"); // no write resumed it
  finish_read_exit(&k, tfd, 16);
}

static void t_trace_bad_flags(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  const uint64_t bad[] = {0x400, 0x800, 0x2000, 0x8000, PROC_EVENT_EXITED | 1, 1UL << 63,
                          ~(uint64_t)PROC_TRACE_FLAGS, -1UL};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[flags %#lx]", (unsigned long)bad[i]);
    EXPECT_ERR(write(tfd, &bad[i], 8), EINVAL);
  }
  uint64_t two[2] = {0, 0};
  ctx("[sizes]");
  EXPECT_ERR(write(tfd, two, 4), EINVAL);
  EXPECT_ERR(write(tfd, two, 7), EINVAL);
  EXPECT_ERR(write(tfd, two, 9), EINVAL);
  EXPECT_ERR(write(tfd, two, 16), EINVAL);
  EXPECT_ERR(lseek(tfd, 0, SEEK_SET), ESPIPE);
  ctx("%s", "");
  EXPECT_STOP(k.pid, "interrupt"); // none of them resumed it
  finish_read_exit(&k, tfd, 17);
}

// A kid_read_exit attached with O_TRUNC: its INTERRUPT event is queued, not yet read.
static int kid_interrupt_queued(struct kid *k) {
  kid_start(k, kid_read_exit);
  int tfd = TRACE(k->pid, O_TRUNC);
  CHECK(readable(tfd, EVENT_WAIT_MS));
  return tfd;
}

// A buffer smaller than one event: EINVAL (and the event stays queued).
static void t_trace_read_small(void) {
  struct kid k;
  int tfd = kid_interrupt_queued(&k);
  char b[56];
  EXPECT_ERR(read(tfd, b, 55), EINVAL);
  EXPECT_ERR(read(tfd, b, 1), EINVAL);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev.a, k.pid);
  finish_read_exit(&k, tfd, 18);
}

// Zero-length transfers on the proc files are no-ops: 0 or EINVAL, nothing changed.
static void t_zero_length_io(void) {
  struct kid k;
  int tfd = kid_interrupt_queued(&k);
  char b[8];
  errno = 0;
  long r = read(tfd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  r = write(tfd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  EV_EXPECT(tfd, PROC_STOP_INTERRUPT); // the event was not consumed
  regs_t r0, r1;
  regs_get(k.pid, &r0);
  int fd = POPEN(k.pid, "regs/int", O_RDWR);
  r = write(fd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  regs_get(k.pid, &r1);
  CHECK(memcmp(&r0, &r1, sizeof r0) == 0);
  EXPECT_STOP(k.pid, "interrupt");
  finish_read_exit(&k, tfd, 19);
}

static void t_trace_nonblock(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = TRACE(k.pid, O_NONBLOCK);
  struct proc_event ev;
  EXPECT_ERR(read(tfd, &ev, sizeof ev), EAGAIN);
  close(tfd);
  tfd = TRACE(k.pid, 0);
  OK(fcntl(tfd, F_SETFL, O_NONBLOCK));
  EXPECT_ERR(read(tfd, &ev, sizeof ev), EAGAIN);
  kid_send(&k, 20);
  CHECK(readable(tfd, EVENT_WAIT_MS));
  CHECK_EQ(read(tfd, &ev, sizeof ev), sizeof ev);
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  EXPECT_ERR(read(tfd, &ev, sizeof ev), ESRCH); // gone beats "nothing yet"
  EXPECT_EXIT(wait_for(k.pid), 20);
}

// poll: nothing until an event waits (POLLIN); POLLHUP once the target is gone.
static void t_trace_poll(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S")); // in the read: no system call before the command
  int tfd = TRACE(k.pid, 0);
  struct pollfd p = {tfd, POLLIN, 0};
  CHECK_EQ(poll(&p, 1, 0), 0);
  TSET(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(poll(&p, 1, SETTLE_MS), 0); // armed, but no call made yet
  kid_send(&k, 21);
  CHECK_EQ(poll(&p, 1, EVENT_WAIT_MS), 1);
  CHECK(p.revents & POLLIN);
  CHECK(!(p.revents & POLLHUP));
  EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(poll(&p, 1, 0), 0); // read: nothing waits
  OK(kill(k.pid, SIGKILL));
  CHECK_EQ(poll(&p, 1, EVENT_WAIT_MS), 1);
  CHECK(p.revents & POLLIN); // the EXITED record
  CHECK(p.revents & POLLHUP);
  EXPECT_EXITED(tfd, SIGKILL);
  CHECK_EQ(poll(&p, 1, 0), 1);
  CHECK(p.revents & POLLHUP);
  CHECK(!(p.revents & POLLIN));
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

const struct ut_test badinput_tests[] = {
    UT(garbage_writes), UT(trace_bad_flags), UT(trace_read_small), UT(zero_length_io),
    UT(trace_nonblock), UT(trace_poll)
};
const size_t badinput_ntests = UT_NTESTS(badinput_tests);
