// proctests, the other register files: proc:PID/regs/float (FPU and SSE) and
// proc:PID/regs/debug (hardware breakpoints and watchpoints).
#include "proctests.h"

void pattern(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 4) * 13 + 1);
}

// Hold a pattern (seeded by the first command byte) in xmm0..15 across a blocking
// read, then report the 256 bytes the registers hold afterwards.
static void kid_xmm(void) {
  int seed = kid_get();
  unsigned char in[256], out[256];
  pattern(in, sizeof in, seed);
  kid_put("r", 1);
  xmm_hold_fn(in, out, g_kcmd);
  kid_put(out, sizeof out);
  _exit(0);
}

static void start_xmm_kid(struct kid *k, int seed) {
  kid_start(k, kid_xmm);
  kid_send(k, seed);
  char c;
  kid_recv(k, &c, 1);
  CHECK(wait_state(k->pid, "S")); // in xmm_hold's read
}

static void t_fpu_roundtrip(void) {
  struct kid k;
  start_xmm_kid(&k, 1);
  int tfd = ATTACH_STOPPED(k.pid);
  unsigned char a[256], b[16];
  pattern(a, sizeof a, 1);
  fpregs_t f, g;
  fpu_get(k.pid, &f);
  CHECK(memcmp(f.xmm_space, a, 256) == 0);
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  pattern(b, sizeof b, 77);
  memcpy(f.xmm_space, b, 16); // xmm0
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  fpu_get(k.pid, &g);
  CHECK(memcmp(&f, &g, sizeof f) == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  unsigned char out[256];
  kid_recv(&k, out, sizeof out);
  CHECK(memcmp(out, b, 16) == 0);           // the tracer's xmm0
  CHECK(memcmp(out + 16, a + 16, 240) == 0); // the rest as the program left them
  KID_END(&k, tfd, 0);
}

// MXCSR bits outside the CPU's mask are refused and change nothing.
static void t_fpu_mxcsr_refused(void) {
  struct kid k;
  start_xmm_kid(&k, 2);
  int tfd = ATTACH_STOPPED(k.pid);
  fpregs_t f, g, now;
  fpu_get(k.pid, &f);
  const uint32_t bad[] = {0xffff0000, 0x10000, 0x80000000, 0xffffffff};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[mxcsr %#x]", bad[i]);
    g = f;
    g.mxcsr = f.mxcsr | bad[i];
    EXPECT_ERR(fpu_put(k.pid, &g), EINVAL);
    fpu_get(k.pid, &now);
    CHECK(memcmp(&now, &f, sizeof f) == 0);
  }
  ctx("%s", "");
  g = f;
  g.mxcsr = (f.mxcsr & ~0x3fUL) ^ 0x6000; // rounding mode: a valid change
  CHECK_EQ(fpu_put(k.pid, &g), sizeof g);
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  TSET(tfd, 0);
  kid_send(&k, 0);
  unsigned char out[256], a[256];
  kid_recv(&k, out, sizeof out);
  pattern(a, sizeof a, 2);
  CHECK(memcmp(out, a, 256) == 0);
  KID_END(&k, tfd, 0);
}

// Two processes hold different values in every xmm register across blocking reads
// (so the CPU switches between them and us): each gets back exactly its own, and each
// one's regs/float shows only its own.
static void t_fpu_no_leak(void) {
  struct kid k[2];
  start_xmm_kid(&k[0], 3);
  start_xmm_kid(&k[1], 4);
  for (int i = 0; i < 2; i++) {
    unsigned char want[256];
    pattern(want, sizeof want, 3 + i);
    fpregs_t f;
    fpu_get(k[i].pid, &f);
    ctx("[process %d]", i);
    CHECK(memcmp(f.xmm_space, want, 256) == 0);
  }
  for (int i = 0; i < 2; i++) {
    unsigned char want[256], out[256];
    pattern(want, sizeof want, 3 + i);
    kid_send(&k[i], 0);
    kid_recv(&k[i], out, sizeof out);
    ctx("[process %d]", i);
    CHECK(memcmp(out, want, 256) == 0);
    EXPECT_EXIT(wait_for(k[i].pid), 0);
  }
}

// ---------------------------------------------------------------------------------
// Debug registers: proc:PID/regs/debug

static volatile uint64_t g_watched __attribute__((aligned(8)));

#define DR7_L0 1UL
#define DR7_RW0(x) ((uint64_t)(x) << 16)
#define DR7_LEN0(x) ((uint64_t)(x) << 18)

static void kid_watch(void) {
  if (kid_get() < 0)
    _exit(99);
  g_watched = 5;
  _exit(0);
}

// A kid_watch, stopped, with a 4-byte write watchpoint on g_watched in DR0; resumed
// with the stops, and sent to its write.
static int watch_started(struct kid *k, uint64_t stops) {
  int tfd = KID_STOPPED(k, kid_watch);
  const uint64_t v[6] = {(uint64_t)&g_watched, 0, 0, 0, 0,
                         DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k->pid, v), 48);
  TSET(tfd, stops);
  kid_send(k, 1);
  return tfd;
}

static void t_debug_refused(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  uint64_t v[6], now[6];
  dbg_get(k.pid, v);
  CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0 && v[5] == 0);
  const uint64_t good[6] = {(uint64_t)&g_watched, 0, 0, 0, 0,
                            DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k.pid, good), 48);
  dbg_get(k.pid, now);
  CHECK(memcmp(now, good, 48) == 0);
  const uint64_t w = (uint64_t)&g_watched;
  const struct {
    const char *what;
    uint64_t v[6];
  } bad[] = {
      {"dr0 kernel", {0xffff800000000000, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr0 kernel image", {0xffffffff80000000, 0, 0, 0, 0, DR7_L0}},
      {"dr0 non-canonical", {0x800000000000, 0, 0, 0, 0, DR7_L0 | DR7_RW0(3)}},
      {"dr1 kernel, disabled", {w, 0xffff800000000000, 0, 0, 0, DR7_L0 | DR7_RW0(1)}},
      {"dr0 misaligned for 4", {w + 1, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr0 misaligned for 8", {w + 4, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
      {"G0", {w, 0, 0, 0, 0, 2}},
      {"LE", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 8}},
      {"GE", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 9}},
      {"bit 10", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 10}},
      {"GD", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 13}},
      {"I/O breakpoint", {w, 0, 0, 0, 0, DR7_L0 | DR7_RW0(2)}},
      {"execution with a length", {w, 0, 0, 0, 0, DR7_L0 | DR7_LEN0(1)}},
      {"disabled slot with settings", {w, 0, 0, 0, 0, DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr7 high half", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 32}},
      {"dr6 reserved bit", {w, 0, 0, 0, 0x10, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
      {"dr6 high half", {w, 0, 0, 0, 1UL << 40, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[%s]", bad[i].what);
    EXPECT_ERR(dbg_put(k.pid, bad[i].v), EINVAL);
    dbg_get(k.pid, now);
    CHECK(memcmp(now, good, 48) == 0); // the old values stay
  }
  ctx("%s", "");
  const uint64_t dr6[6] = {w, 0, 0, 0, 0x4001, good[5]}; // B0 and BS may be written
  CHECK_EQ(dbg_put(k.pid, dr6), 48);
  const uint64_t zero[6] = {0};
  CHECK_EQ(dbg_put(k.pid, zero), 48);
  finish_read_exit(&k, tfd, 15);
}

// A data watchpoint: PROC_STOP_WATCH after the write, a = DR6 (B0), b = rip.
static void t_debug_watch_write(void) {
  struct kid k;
  int tfd = watch_started(&k, PROC_STOP_WATCH);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_WATCH);
  EXPECT_STOP(k.pid, "watchpoint");
  CHECK(ev.a & 1);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(ev.b, r.rip);
  CHECK_EQ(peek64(k.pid, &g_watched), 5); // a data breakpoint traps after the write
  const uint64_t zero[6] = {0};
  CHECK_EQ(dbg_put(k.pid, zero), 48);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Without PROC_STOP_WATCH, the watchpoint is a SIGTRAP.
static void t_debug_watch_sigtrap(void) {
  struct kid k;
  int tfd = watch_started(&k, 0);
  KID_END(&k, tfd, SIGTRAP | CORE_BIT);
}

// An execution breakpoint stops before the instruction (b = the function's address);
// with RF set by the tracer the program resumes without hitting it again.
static void t_debug_exec_breakpoint(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_poke);
  const uint64_t v[6] = {(uint64_t)poke_target, 0, 0, 0, 0, DR7_L0};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  TSET(tfd, PROC_STOP_WATCH);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_WATCH);
  CHECK(ev.a & 1);
  CHECK_EQ(ev.b, (uint64_t)poke_target);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)poke_target);
  r.eflags |= FL_RF;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_WATCH);
  ev = EV_NEXT(tfd);
  if (ev.cause == PROC_STOP_WATCH)
    fail_at(__LINE__, "the breakpoint fired again at %#lx although RF was set",
            (unsigned long)ev.b);
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  CHECK_EQ(ev.a, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// Debug registers are not inherited by fork and are cleared by exec.
static void kid_fork_then_exec(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    g_watched = 1; // would trap if the watchpoint came along
    _exit(0);
  }
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  kid_put(&st, sizeof st);
  kid_exec_wait();
}

static void t_debug_fork_exec(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_fork_then_exec);
  const uint64_t v[6] = {(uint64_t)&g_watched, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  TSET(tfd, 0);
  kid_send(&k, 1);
  int st;
  kid_recv(&k, &st, sizeof st);
  if (st != 0)
    fail_at(__LINE__, "the forked child %s (inherited the watchpoint?)", describe(st));
  kid_send(&k, 1);
  wait_for_exec(k.pid);
  uint64_t now[6];
  dbg_get(k.pid, now);
  CHECK(now[0] == 0 && now[5] == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// MOV SS from watched memory followed by syscall or int3 (CVE-2018-8897): the delayed
// #DB arrives in the kernel, which must survive it; the program goes on.
static uint16_t g_sel __attribute__((aligned(8)));

static void kid_movss(void) {
  __asm__ volatile("mov %%ss, %0" : "=m"(g_sel));
  if (kid_get() < 0)
    _exit(99);
  movss_probe_fn(&g_sel);
  _exit(0);
}

static void t_debug_movss(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_movss);
  const uint64_t v[6] = {(uint64_t)&g_sel, 0, 0, 0, 0, DR7_L0 | DR7_RW0(3) | DR7_LEN0(1)};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  uint64_t fl = PROC_STOP_WATCH | PROC_STOP_BREAKPOINT;
  TSET(tfd, fl);
  kid_send(&k, 1);
  int breakpoints = 0;
  for (int i = 0; i < 20; i++) {
    struct proc_event ev = EV_NEXT(tfd);
    if (ev.cause == PROC_EVENT_EXITED) {
      CHECK_EQ(ev.a, 0);
      CHECK_EQ(breakpoints, 1);
      EXPECT_EXIT(wait_for(k.pid), 0);
      return;
    }
    if (ev.cause == PROC_STOP_BREAKPOINT) {
      CHECK_EQ(ev.a, (uint64_t)movss_int3);
      regs_t r;
      regs_get(k.pid, &r);
      r.rip++;
      CHECK_EQ(regs_put(k.pid, &r), sizeof r);
      breakpoints++;
    } else {
      CHECK_EQ(ev.cause, PROC_STOP_WATCH);
    }
    TSET(tfd, fl);
  }
  fail_at(__LINE__, "more than 20 stops");
}

const struct ut_test fpregs_tests[] = {
    UT(fpu_roundtrip), UT(fpu_mxcsr_refused), UT(fpu_no_leak), UT(debug_refused),
    UT(debug_watch_write), UT(debug_watch_sigtrap), UT(debug_exec_breakpoint),
    UT(debug_fork_exec), UT(debug_movss)
};
const size_t fpregs_ntests = UT_NTESTS(fpregs_tests);
