// proctests, permissions: who may look at and trace whom, set-user-ID programs.
#include "proctests.h"

// The files only a looker may open, and one anyone may.
static void expect_no_look(long pid, int err) {
  static const char *const looker_only[] = {"mem", "regs/int", "regs/float", "regs/debug",
                                            "maps", "exe", "trace"};
  for (size_t i = 0; i < sizeof looker_only / sizeof looker_only[0]; i++) {
    ctx("[%s]", looker_only[i]);
    int flags = strcmp(looker_only[i], "trace") == 0 ? O_RDWR : O_RDONLY;
    EXPECT_ERR(open(ppath(pid, looker_only[i]), flags), err);
  }
  ctx("[readlink exe]");
  char b[64];
  EXPECT_ERR(readlink(ppath(pid, "exe"), b, sizeof b), err);
  ctx("%s", "");
  close(POPEN(pid, "status", O_RDONLY));
  close(POPEN(pid, "stat", O_RDONLY));
  close(POPEN(pid, "cmdline", O_RDONLY));
}

static void expect_look(long pid) {
  close(POPEN(pid, "mem", O_RDONLY));
  close(POPEN(pid, "regs/int", O_RDONLY));
  close(POPEN(pid, "maps", O_RDONLY));
}

// A uid-1000 process and its uid-1000 child T: T's sibling (same uid, not an ancestor)
// and a uid-1001 process may not look; the parent may, and may trace.
static void t_perm_other_processes(void) {
  struct show target = show_new();
  long u = xfork();
  if (u == 0) {
    become(1000);
    struct kid t;
    kid_start(&t, kid_read_exit);
    long s = xfork();
    if (s == 0) { // T's sibling
      expect_no_look(t.pid, EACCES);
      _exit(0);
    }
    EXPECT_EXIT(wait_for(s), 0);
    expect_look(t.pid);
    int tfd = ATTACH_STOPPED(t.pid);
    TSET(tfd, 0);
    show(&target, t.pid);
    kid_send(&t, 0);
    KID_END(&t, tfd, 0);
    _exit(0);
  }
  long tpid = shown(&target);
  long b = xfork();
  if (b == 0) {
    become(1001);
    expect_no_look(tpid, EACCES);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(b), 0);
  expect_look(tpid); // root may
  seen(&target);
  EXPECT_EXIT(wait_for(u), 0);
}

// Fill a pipe to the brim (so the next write blocks), and return to blocking mode.
static void fill_pipe(int wfd) {
  static char chunk[512];
  OK(fcntl(wfd, F_SETFL, O_NONBLOCK));
  while (write(wfd, chunk, sizeof chunk) > 0)
    ;
  while (write(wfd, chunk, 1) > 0)
    ;
  OK(fcntl(wfd, F_SETFL, 0));
}

// Everything left in the pipe, as a string (the filler's zero bytes skipped).
static const char *drain(int rfd) {
  static char text[256];
  size_t n = 0;
  char c;
  while (read(rfd, &c, 1) == 1)
    if (c && n < sizeof text - 1)
      text[n++] = c;
  text[n] = 0;
  return text;
}

// On command: exec /tests/setuid-probe, its output going to the pipe g_gpipe.
static void kid_exec_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  dup2(g_gpipe[1], 1);
  char *argv[] = {"setuid-probe", NULL};
  execve("/tests/setuid-probe", argv, NULL);
  _exit(98);
}

// Wait until t runs /tests/setuid-probe and is blocked writing its output to a full pipe.
static void wait_probe_blocked(long t) {
  for (int i = 0; strcmp(status_field(t, "Name"), "setuid-probe") != 0; i++) {
    CHECK(i < 300);
    sleep_ms(10);
  }
  CHECK(wait_state(t, "S"));
}

// As uid 1000: start a child that execs the set-user-ID probe, with handles on it opened
// before; show it to the root parent.
static void setuid_exec_as_1000(const struct show *target) {
  become(1000);
  OK(pipe(g_gpipe));
  fill_pipe(g_gpipe[1]); // the probe's output will block: it stays alive to be looked at
  struct kid t;
  kid_start(&t, kid_exec_probe);
  close(g_gpipe[1]);
  int mem = POPEN(t.pid, "mem", O_RDONLY);
  int regs = POPEN(t.pid, "regs/int", O_RDONLY);
  kid_send(&t, 1);
  wait_probe_blocked(t.pid);
  expect_no_look(t.pid, EACCES);
  char b[216];
  EXPECT_ERR(mem_pread(mem, b, 8, (uint64_t)&g_counter), ESRCH);
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  show(target, t.pid);
  const char *out = drain(g_gpipe[0]);
  if (!strstr(out, "ruid=1000 euid=0"))
    fail_at(__LINE__, "untraced set-user-ID exec printed '%s', want ruid=1000 euid=0", out);
  EXPECT_EXIT(wait_for(t.pid), 0);
}

// After its target gains privileges by a set-user-ID exec, a uid-1000 ancestor may not
// look any more, and handles it opened before are dead (CVE-2012-0056). Root may.
static void t_perm_setuid_exec(void) {
  struct show target = show_new();
  long u = xfork();
  if (u == 0) {
    setuid_exec_as_1000(&target);
    _exit(0);
  }
  expect_look(shown(&target)); // root may still look
  seen(&target);
  EXPECT_EXIT(wait_for(u), 0);
}

// A traced set-user-ID exec runs without the privilege (euid stays 1000), and the
// ancestor that traces it can still look at it.
static void t_perm_traced_setuid_exec(void) {
  long u = xfork();
  if (u == 0) {
    become(1000);
    OK(pipe(g_gpipe));
    fill_pipe(g_gpipe[1]); // keeps the probe alive, blocked writing its output
    struct kid t;
    kid_start(&t, kid_exec_probe);
    close(g_gpipe[1]);
    int tfd = TRACE(t.pid, 0);
    kid_send(&t, 1);
    wait_probe_blocked(t.pid);
    expect_look(t.pid);
    const char *out = drain(g_gpipe[0]);
    if (!strstr(out, "ruid=1000 euid=1000"))
      fail_at(__LINE__, "traced set-user-ID exec printed '%s', want ruid=1000 euid=1000", out);
    KID_END(&t, tfd, 0);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

// Attaching (and opening mem) while the target execs a set-user-ID program, at
// varying moments (CVE-2001-1384, CVE-2009-1527): either the session came first and
// the exec gained nothing (euid=1000), or the session is refused. Never a traced
// privileged process, never a live mem handle into it.
static int race_once(int round) {
  int out[2];
  OK(pipe(out));
  fill_pipe(out[1]);
  long t = xfork();
  if (t == 0) {
    for (int i = 0; i < round % 3; i++)
      sched_yield();
    dup2(out[1], 1);
    char *argv[] = {"setuid-probe", NULL};
    execve("/tests/setuid-probe", argv, NULL);
    _exit(98);
  }
  close(out[1]);
  for (int i = 0; i < round / 3 % 4; i++)
    sched_yield();
  int mem = open(ppath(t, "mem"), O_RDONLY);
  int tfd = open(ppath(t, "trace"), O_RDWR);
  int terr = errno;
  wait_probe_blocked(t);
  char b[8];
  bool mem_live = mem >= 0 && mem_pread(mem, b, 8, (uint64_t)&g_counter) >= 0;
  const char *text = drain(out[0]);
  bool privileged = strstr(text, "euid=0") != NULL;
  ctx("[round %d: trace %s (errno %d), mem %s, probe '%s']", round, tfd >= 0 ? "open" : "refused",
      terr, mem_live ? "live" : "dead", text);
  CHECK(strstr(text, "ruid=1000 euid="));
  if (tfd >= 0)
    CHECK(!privileged);
  else
    CHECK(terr == EACCES);
  CHECK(!(mem_live && privileged));
  EXPECT_EXIT(wait_for(t), 0);
  if (tfd >= 0)
    close(tfd);
  if (mem >= 0)
    close(mem);
  close(out[0]);
  ctx("%s", "");
  return tfd >= 0;
}

static void t_perm_attach_races_setuid_exec(void) {
  long u = xfork();
  if (u == 0) {
    become(1000);
    int attached = 0;
    for (int round = 0; round < 12; round++)
      attached += race_once(round);
    outf("# %s: attached before the exec in %d of 12 rounds\n", g_name, attached);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

const struct ut_test perm_tests[] = {
    UT(perm_other_processes), UT(perm_setuid_exec), UT(perm_traced_setuid_exec),
    UT(perm_attach_races_setuid_exec)
};
const size_t perm_ntests = UT_NTESTS(perm_tests);
