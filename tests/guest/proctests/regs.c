// proctests, registers: proc:PID/regs/int and the one register-write check.
#include "proctests.h"

void finish_read_exit(struct kid *k, int tfd, int code) {
  TSET(tfd, 0);
  kid_send(k, code);
  KID_END(k, tfd, code << 8);
}

static void t_regs_roundtrip(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S")); // in the read
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t a, b;
  regs_get(k.pid, &a);
  CHECK_EQ(a.cs, 0x33);
  CHECK_EQ(a.ss, 0x2b);
  CHECK(a.eflags & FL_IF);
  CHECK_EQ(a.orig_rax, SYS_read);
  CHECK_EQ(regs_put(k.pid, &a), sizeof a);
  regs_get(k.pid, &b);
  CHECK(memcmp(&a, &b, sizeof a) == 0);
  int fd = POPEN(k.pid, "regs/int", O_RDONLY);
  char buf[300];
  uint64_t v;
  CHECK_EQ(pread(fd, &v, 8, offsetof(regs_t, orig_rax)), 8);
  CHECK_EQ(v, a.orig_rax);
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), sizeof a);
  CHECK_EQ(pread(fd, buf, 8, 212), 4);
  CHECK_EQ(pread(fd, buf, 8, 216), 0);
  finish_read_exit(&k, tfd, 11);
}

// A register write is what the program continues with.
static void kid_regs_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t out[6];
  regs_probe_fn(out);
  kid_put(out, sizeof out);
  _exit(0);
}

static void t_regs_write_seen(void) {
  struct kid k;
  kid_start(&k, kid_regs_probe);
  regs_t r;
  int tfd = marker_stop(&k, regs_after, PROC_STOP_PRE_SYSCALL, &r);
  CHECK(r.rbx == 0 && r.rbp == 0 && r.r12 == 0 && r.r15 == 0);
  uint64_t want[6] = {0x1122334455667788, 0x0123456789abcdef, 0xfedcba9876543210,
                      0x8000000000000001, 0x7fffffffffffffff, 0xdeadbeefcafef00d};
  r.rbx = want[0], r.rbp = want[1], r.r12 = want[2];
  r.r13 = want[3], r.r14 = want[4], r.r15 = want[5];
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  uint64_t got[6];
  kid_recv(&k, got, sizeof got);
  for (int i = 0; i < 6; i++) {
    ctx("[register %d]", i);
    CHECK_EQ(got[i], want[i]);
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// gs_base written by the tracer is the base the CPU uses.
static uint64_t g_gs_word = 0x5eed5eed12345678;
static int is_gs_word(uint64_t v) { return v == 0x5eed5eed12345678; }

static void t_regs_gs_base(void) {
  struct kid k;
  regs_t r;
  int tfd = start_at_marker(&k, gs_probe_fn, is_gs_word, gs_after, &r);
  r.gs_base = (uint64_t)&g_gs_word;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Whole struct at offset 0 only; anything else is EINVAL and changes nothing.
static void expect_sizes_refused(long pid, const char *file, size_t size) {
  static char buf[8192];
  int fd = POPEN(pid, file, O_RDWR);
  CHECK_EQ(pread(fd, buf, size, 0), size);
  char before[512];
  memcpy(before, buf, size);
  const size_t sizes[] = {1, 8, size - 1, size + 1, 2 * size, 4096, 8192};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    ctx("[%s: %zu bytes at 0]", file, sizes[i]);
    EXPECT_ERR(pwrite(fd, buf, sizes[i], 0), EINVAL);
  }
  const uint64_t offs[] = {1, 8, size - 8, size, 4096};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    ctx("[%s: %zu bytes at %lu]", file, size, (unsigned long)offs[i]);
    EXPECT_ERR(pwrite(fd, buf, size, offs[i]), EINVAL);
  }
  OK(lseek(fd, 8, SEEK_SET));
  ctx("[%s: write after lseek 8]", file);
  EXPECT_ERR(write(fd, buf, size), EINVAL);
  CHECK_EQ(pread(fd, buf, size, 0), size);
  CHECK(memcmp(before, buf, size) == 0);
  ctx("%s", "");
  close(fd);
}

static void t_regs_write_sizes(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  expect_sizes_refused(k.pid, "regs/int", 216);
  expect_sizes_refused(k.pid, "regs/float", 512);
  expect_sizes_refused(k.pid, "regs/debug", 48);
  finish_read_exit(&k, tfd, 12);
}

// Writes need the tracer and a trace stop: EBUSY for a running target, for a process
// with no session, and for a process that is not the tracer.
static void try_all_writes(long pid, int err) {
  regs_t r;
  fpregs_t f;
  uint64_t d[6];
  regs_get(pid, &r);
  fpu_get(pid, &f);
  dbg_get(pid, d);
  EXPECT_ERR(regs_put(pid, &r), err);
  EXPECT_ERR(fpu_put(pid, &f), err);
  EXPECT_ERR(dbg_put(pid, d), err);
  int mem = POPEN(pid, "mem", O_RDWR);
  uint64_t v = peek64(pid, &g_counter);
  EXPECT_ERR(mem_pwrite(mem, &v, 8, (uint64_t)&g_counter), err);
  close(mem);
}

static void t_regs_write_busy(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate attached = gate_new();
  long x = xfork(); // forked before the session, so it holds none
  if (x == 0) {
    gate_pass(&attached);
    try_all_writes(k.pid, EBUSY); // the target is in a trace stop, but not ours
    _exit(0);
  }
  ctx("[no session]");
  try_all_writes(k.pid, EBUSY);
  int tfd = ATTACH_STOPPED(k.pid);
  gate_open(&attached);
  ctx("[a process that is not the tracer]");
  EXPECT_EXIT(wait_for(x), 0);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r); // the tracer may
  TSET(tfd, 0);
  CHECK(wait_state(k.pid, "S"));
  ctx("[running, with a session]");
  try_all_writes(k.pid, EBUSY);
  ctx("%s", "");
  kid_send(&k, 13);
  KID_END(&k, tfd, 13 << 8);
}

// Every value docs/proc.md refuses: EINVAL, and the registers stay as they were.
struct regs_change {
  const char *what;
  size_t off;     // offsetof(regs_t, field)
  uint64_t value; // the new value (or, with xor, the bits to flip)
  int xor;
};
#define RC(field, v) {#field " = " #v, offsetof(regs_t, field), (v), 0}
#define RX(bits) {"eflags ^= " #bits, offsetof(regs_t, eflags), (bits), 1}

static const struct regs_change refused[] = {
    RC(cs, 0x8), RC(cs, 0x2b), RC(cs, 0x30), RC(cs, 0x23), RC(cs, 0x1b), RC(cs, 0), RC(cs, 0x10),
    RC(cs, 0x10033), RC(ss, 0), RC(ss, 0x10), RC(ss, 0x28), RC(ss, 0x33), RC(ss, 0x2a),
    RC(ds, 0x10), RC(ds, 0x33), RC(ds, 0x28), RC(ds, 0x8), RC(ds, 3), RC(ds, 0x1002b),
    RC(es, 0x10), RC(es, 0x33), RC(fs, 0x10), RC(fs, 0x33), RC(gs, 0x10), RC(gs, 0x33),
    RC(rip, 0x800000000000), RC(rip, 0xffffffff80000000), RC(rip, 0xffff800000000000),
    RC(rip, 0xffffffffffffffff), RC(rip, 0x8000000000000000),
    RC(rsp, 0x800000000000), RC(rsp, 0xffff800000000000), RC(rsp, 0xffffffffffffff00),
    RC(fs_base, 0x800000000000), RC(fs_base, 0xffff800000000000),
    RC(fs_base, 0xffffffffff600000), RC(gs_base, 0x800000000000),
    RC(gs_base, 0xffffffff80000000), RX(FL_IOPL), RX(0x1000UL), RX(FL_IF), RX(FL_NT),
    RX(FL_VM), RX(FL_VIF), RX(FL_VIP), RX(FL_ID), RX(0x2UL), RX(0x8UL), RX(0x20UL),
    RX(0x8000UL), RX(1UL << 22), RX(1UL << 32), RX(1UL << 63),
};

static const struct regs_change allowed[] = {
    RC(ds, 0), RC(ds, 0x2b), RC(es, 0), RC(es, 0x2b), RC(fs, 0), RC(fs, 0x2b), RC(gs, 0),
    RC(gs, 0x2b), RC(rip, 0x7fffffffffff), RC(rip, 0), RC(rsp, 0x7fffffffffff),
    RC(fs_base, 0x7fffffffffff), RC(gs_base, 0), RC(gs_base, 0x7ffffffff000),
    RX(FL_CF), RX(FL_PF), RX(FL_AF), RX(FL_ZF), RX(FL_SF), RX(FL_TF), RX(FL_DF), RX(FL_OF),
    RX(FL_AC), RX(FL_RF), RX(FL_CF | FL_ZF | FL_SF | FL_OF | FL_DF | FL_AC | FL_RF),
};

static void apply(regs_t *r, const struct regs_change *c) {
  uint64_t *f = (uint64_t *)((char *)r + c->off);
  *f = c->xor ? *f ^ c->value : c->value;
}

// At the target's current stop: every refused change is refused and changes nothing;
// every allowed one is taken (and undone).
static void check_regs_rules(long pid) {
  regs_t saved, r, now;
  regs_get(pid, &saved);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    ctx("[refused: %s]", refused[i].what);
    r = saved;
    apply(&r, &refused[i]);
    EXPECT_ERR(regs_put(pid, &r), EINVAL);
    regs_get(pid, &now);
    CHECK(memcmp(&now, &saved, sizeof now) == 0);
  }
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
    ctx("[allowed: %s]", allowed[i].what);
    r = saved;
    apply(&r, &allowed[i]);
    CHECK_EQ(regs_put(pid, &r), sizeof r);
    regs_get(pid, &now);
    CHECK(memcmp(&now, &r, sizeof now) == 0);
    CHECK_EQ(regs_put(pid, &saved), sizeof saved);
  }
  ctx("%s", "");
}

static void t_regs_refused(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  check_regs_rules(k.pid);
  finish_read_exit(&k, tfd, 14); // restored: it runs on as before
}

static int always(uint64_t v) {
  (void)v;
  return 1;
}

// A kid_probe running flags_probe, at the marker's exit stop (where the kernel could
// return with SYSRET); its registers there in *r.
static int flags_probe_at_exit(struct kid *k, regs_t *r) {
  g_probe = flags_probe_fn, g_probe_ok = always;
  kid_start(k, kid_probe);
  return marker_stop(k, flags_after, PROC_STOP_POST_SYSCALL, r);
}

// At a syscall-exit stop (where the kernel could return with SYSRET) and a signal
// stop: the same rules. A valid new rip is honoured (exit77_probe).
static void t_regs_rules_at_syscall_exit(void) {
  struct kid k;
  regs_t r;
  int tfd = flags_probe_at_exit(&k, &r);
  check_regs_rules(k.pid);
  // A frame SYSRET would take (rcx == rip, r11 == rflags) with a kernel-half rip.
  r.rcx = r.rip = 0xffff800000000000;
  r.r11 = r.eflags;
  EXPECT_ERR(regs_put(k.pid, &r), EINVAL);
  regs_get(k.pid, &r);
  r.rip = (uint64_t)exit77_probe;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 77 << 8);
}

static void t_regs_rules_at_signal_stop(void) {
  struct kid k;
  int tfd = usr1_stop(&k);
  check_regs_rules(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  r.rip = (uint64_t)exit77_probe;
  // The stop interrupted a read, which would be restarted (rip - 2) once the signal is
  // dropped. As with Linux, a tracer that moves rip also says "no system call".
  r.orig_rax = -1;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_FLAG_IGNORE);
  KID_END(&k, tfd, 77 << 8);
}

// The highest user addresses are valid register values; running there faults in user
// mode (SIGSEGV), whether the frame looks like one SYSRET could take or not.
static void t_regs_rip_top_of_user(void) {
  static const uint64_t tops[] = {0x7ffffffffffe, 0x7ffffffff000, 0x7fffffffffff};
  for (int i = 0; i < 6; i++) {
    ctx("[rip %#lx, %s]", (unsigned long)tops[i / 2], i % 2 ? "rcx = rip" : "rcx as is");
    struct kid k;
    regs_t r;
    int tfd = flags_probe_at_exit(&k, &r);
    r.rip = tops[i / 2];
    if (i % 2)
      r.rcx = r.rip, r.r11 = r.eflags;
    CHECK_EQ(regs_put(k.pid, &r), sizeof r);
    TSET(tfd, 0);
    KID_END(&k, tfd, SIGSEGV | CORE_BIT);
    close(tfd);
  }
}

// The arithmetic flags, DF and AC the tracer sets are what the program sees.
#define SEEN_FLAGS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF | FL_AC)
static int has_seen_flags(uint64_t v) { return (v & SEEN_FLAGS) == SEEN_FLAGS; }

// A kid_probe running flags_probe (its result must satisfy ok), with the flags set
// added by the tracer at the marker's entry stop, and resumed with stops.
static int flags_probe_set(struct kid *k, int (*ok)(uint64_t), uint64_t set,
                           uint64_t stops) {
  regs_t r;
  int tfd = start_at_marker(k, flags_probe_fn, ok, flags_after, &r);
  r.eflags |= set;
  CHECK_EQ(regs_put(k->pid, &r), sizeof r);
  TSET(tfd, stops);
  return tfd;
}

static void t_regs_flags_seen(void) {
  struct kid k;
  int tfd = flags_probe_set(&k, has_seen_flags, SEEN_FLAGS | FL_RF, 0);
  KID_END(&k, tfd, 0);
}

// TF set by the tracer (not a kernel step) is the program's own: it traps after each
// instruction as SIGTRAP, which the tracer sees as signal stops (and here drops) until
// the program clears TF with popfq.
static int has_tf(uint64_t v) { return (v & FL_TF) != 0; }

static void t_regs_tf_by_tracer(void) {
  struct kid k;
  int tfd = flags_probe_set(&k, has_tf, FL_TF, PROC_STOP_SIGNAL);
  regs_t r;
  // pushfq (1 byte), pop %rax (1), push $0x202 (5), popfq (1): a trap after each.
  const uint64_t after[] = {1, 2, 7, 8};
  for (int i = 0; i < 4; i++) {
    ctx("[trap %d]", i);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
    CHECK_EQ(ev.a, SIGTRAP);
    regs_get(k.pid, &r);
    CHECK_EQ(r.rip, (uint64_t)flags_after + after[i]);
    TSET(tfd, PROC_STOP_SIGNAL | PROC_FLAG_IGNORE);
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// rt_sigreturn gets the same checks: a handler that puts a refused value in its saved
// context is killed with SIGSEGV on return; a valid change is honoured.
static int g_sigret_mode;
static void sigret_handler(int sig, siginfo_t *si, void *ucv) {
  (void)sig, (void)si;
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  switch (g_sigret_mode) {
  case 0: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x8; break;         // cs kernel
  case 1: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x2b; break;        // cs = data
  case 2: g[REG_CSGSFS] &= ~(0xffffL << 48); break;                        // ss = 0
  case 3: g[REG_EFL] ^= FL_IOPL; break;
  case 4: g[REG_EFL] ^= FL_IF; break;
  case 5: g[REG_RIP] = 0x800000000000; break;
  case 6: g[REG_RIP] = 0xffffffff80000000; break;
  case 7: g[REG_RSP] = 0xffff800000000000; break;
  default: g[REG_RIP] = (greg_t)exit77_probe; break;                       // valid
  }
}

static void t_sigreturn_checked(void) {
  for (int mode = 0; mode <= 8; mode++) {
    ctx("[mode %d]", mode);
    g_sigret_mode = mode;
    long pid = xfork();
    if (pid == 0) {
      struct sigaction sa = {.sa_sigaction = sigret_handler, .sa_flags = SA_SIGINFO};
      OK(sigaction(SIGUSR1, &sa, NULL));
      syscall(SYS_kill, getpid(), SIGUSR1);
      _exit(0);
    }
    int st = wait_for(pid);
    if (mode == 8)
      EXPECT_EXIT(st, 77);
    else
      EXPECT_KILLED(st, SIGSEGV);
  }
}

// The seed: a process blocked in read shows read's number in orig_rax, untraced, and
// the regs program names the call.
static void t_regs_seed_blocked_read(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S"));
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, SYS_read);
  CHECK_EQ(r.rdx, 1);
  CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
  if (access("/bin/regs", X_OK) == 0) {
    int out[2];
    OK(pipe(out));
    long x = xfork();
    if (x == 0) {
      dup2(out[1], 1);
      char pid[16];
      snprintf(pid, sizeof pid, "%ld", k.pid);
      char *argv[] = {"regs", pid, NULL};
      execve("/bin/regs", argv, NULL);
      _exit(98);
    }
    close(out[1]);
    static char text[8192];
    size_t n = 0;
    long got;
    while (n < sizeof text - 1 && (got = read(out[0], text + n, sizeof text - 1 - n)) > 0)
      n += got;
    text[n] = 0;
    EXPECT_EXIT(wait_for(x), 0);
    if (!strstr(text, "read"))
      fail_at(__LINE__, "regs %ld does not name read:\n%s", k.pid, text);
  }
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
}

const struct ut_test regs_tests[] = {
    UT(regs_roundtrip), UT(regs_write_seen), UT(regs_gs_base), UT(regs_write_sizes),
    UT(regs_write_busy), UT(regs_refused), UT(regs_rules_at_syscall_exit),
    UT(regs_rules_at_signal_stop), UT(regs_rip_top_of_user), UT(regs_flags_seen),
    UT(regs_tf_by_tracer), UT(sigreturn_checked), UT(regs_seed_blocked_read)
};
const size_t regs_ntests = UT_NTESTS(regs_tests);
