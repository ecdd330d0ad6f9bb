// utest: the in-guest test suites' runner and checks (utest.h).
#include "utest.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <vitrine/uname.h>
#include <time.h>

const char *g_self;
int g_vitrine;
const char *g_name;
long g_test_pid;
char g_ctx[120];

static int g_passed, g_failed;

long sc6(long n, long a, long b, long c, long d, long e, long f) {
  return syscall(n, a, b, c, d, e, f);
}

// ---------------------------------------------------------------------------------
// Output and failure reporting

void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    long r = sc(SYS_write, fd, s, n);
    if (r <= 0)
      return;
    s += r;
    n -= r;
  }
}

void outf(const char *fmt, ...) {
  char b[600];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n > 0)
    write_all(1, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

void ctx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_ctx, sizeof g_ctx, fmt, ap);
  va_end(ap);
}

// The test's own process prints the FAIL line; any process it forked prints a comment
// with its pid, and the test sees its UT_FAIL_EXIT status and fails in turn.
void fail_at(int line, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  long me = sc(SYS_getpid);
  const char *sep = g_ctx[0] ? " " : "";
  if (me == g_test_pid)
    outf("FAIL %s: %s%s%s (line %d)\n", g_name, msg, sep, g_ctx, line);
  else
    outf("# %s [pid %ld]: %s%s%s (line %d)\n", g_name, me, msg, sep, g_ctx, line);
  _exit(UT_FAIL_EXIT);
}

const char *describe(int st) {
  static char b[64];
  if (WIFEXITED(st))
    snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(b, sizeof b, "killed by signal %d", WTERMSIG(st));
  else
    snprintf(b, sizeof b, "wait status %#x", st);
  return b;
}

void expect_exit_at(int line, int st, int code) {
  if (!WIFEXITED(st) || WEXITSTATUS(st) != code)
    fail_at(line, "process %s, want exit %d", describe(st), code);
}

// Killed by sig: the status is exactly sig, except for the core-dump bit (0x80), which
// depends on the system's core dump settings.
void expect_killed_at(int line, int st, int sig) {
  if (!WIFSIGNALED(st) || WTERMSIG(st) != sig || (st & ~0xff) != 0)
    fail_at(line, "process %s, want killed by signal %d", describe(st), sig);
}

// ---------------------------------------------------------------------------------
// Processes

long xfork(void) { return OK(sc(SYS_fork)); }

int wait_for(long pid) {
  int st = 0;
  long r = OK(sc(SYS_wait4, pid, &st, 0, NULL));
  CHECK(r == pid);
  return st;
}

int child_status(void (*fn)(void)) {
  long pid = xfork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  return wait_for(pid);
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (sc(SYS_nanosleep, &ts, &ts) == -1 && errno == EINTR)
    ;
}

long now_ms(void) {
  struct timespec ts;
  OK(sc(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile long g_never = -1; // a depth never reached; it keeps gcc quiet
static int __attribute__((noinline)) recurse(long depth) {
  volatile char frame[1024];
  frame[0] = (char)depth;
  if (depth == g_never)
    return 0;
  return recurse(depth + 1) + frame[0]; // not a tail call
}

void overflow_stack(void) { recurse(0); }

void ut_setup(const char *argv0, const char *fallback) {
  static char buf[4096];
  struct utsname u;
  // Vitrine says Linux in sysname (as compatibility layers do) and its own name in the
  // version field (include/vitrine/uname.h).
  g_vitrine = sc(SYS_uname, &u) == 0 && strstr(u.version, UNAME_VITRINE) != NULL;
  if (!strchr(argv0, '/')) {
    g_self = fallback;
  } else if (argv0[0] == '/') {
    g_self = argv0;
  } else {
    if (sc(SYS_getcwd, buf, sizeof buf - 256) < 0)
      buf[0] = 0;
    size_t n = strlen(buf);
    if (argv0[0] == '.' && argv0[1] == '/')
      argv0 += 2;
    snprintf(buf + n, sizeof buf - n, "%s%s", n > 1 ? "/" : "", argv0);
    g_self = buf;
  }
  if (!g_vitrine) { // the crash tests must not drop core files on the host
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
  }
}

// ---------------------------------------------------------------------------------
// The runner

const char *ut_unmet_file(const char *path) {
  static char why[300];
  if (!path || sc(SYS_access, path, X_OK) == 0)
    return NULL;
  snprintf(why, sizeof why, "no %s", path);
  return why;
}

static const char *unmet(const struct ut_suite *s, const struct ut_test *t) {
  if (!t->needs)
    return NULL;
  return s->unmet ? s->unmet(t->needs) : ut_unmet_file(t->needs);
}

static bool registered(const struct ut_suite *s, const struct ut_test *t) {
  return !s->hide_unmet || !unmet(s, t);
}

static void report(const char *name, bool passed) {
  if (passed) {
    outf("PASS %s\n", name);
    g_passed++;
  } else {
    g_failed++;
  }
}

// Wait for the test's child; with a deadline, kill its group (and it) at the deadline.
static int wait_test(const struct ut_suite *s, long pid, bool *timed_out) {
  int st = 0;
  *timed_out = false;
  if (s->deadline_ms <= 0)
    return sc(SYS_wait4, pid, &st, 0, NULL) == pid ? st : -1;
  for (long waited = 0;; waited += 5) {
    long r = sc(SYS_wait4, pid, &st, WNOHANG, NULL);
    if (r == pid)
      return st;
    if (r < 0)
      return -1;
    if (waited >= s->deadline_ms && !*timed_out) {
      *timed_out = true;
      sc(SYS_kill, -pid, SIGKILL);
      sc(SYS_kill, pid, SIGKILL);
    }
    sleep_ms(5);
  }
}

static void run_child(const struct ut_suite *s, const struct ut_test *t) {
  g_name = t->name;
  g_test_pid = sc(SYS_getpid);
  if (s->own_group)
    sc(SYS_setpgid, 0, 0);
  if (s->setup)
    s->setup(t);
  t->fn();
  _exit(0);
}

// The test's child: PASS if it exits 0; a child that exits UT_FAIL_EXIT said why.
static bool run_in_child(const struct ut_suite *s, const struct ut_test *t) {
  long pid = sc(SYS_fork);
  if (pid < 0) {
    outf("FAIL %s: fork failed: errno %d\n", t->name, errno);
    return false;
  }
  if (pid == 0)
    run_child(s, t);
  if (s->own_group)
    sc(SYS_setpgid, pid, pid); // both sides, so the kill below never misses
  bool timed_out;
  int st = wait_test(s, pid, &timed_out);
  int e = errno;
  if (s->own_group) // whatever the test left behind must not slow (or hold) the next
    sc(SYS_kill, -pid, SIGKILL);
  if (timed_out)
    outf("FAIL %s: still running after %d ms (killed)\n", t->name, s->deadline_ms);
  else if (st < 0)
    outf("FAIL %s: wait4 failed: errno %d\n", t->name, e);
  else if (st != 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != UT_FAIL_EXIT))
    outf("FAIL %s: %s\n", t->name, describe(st));
  return st == 0 && !timed_out;
}

static void run_test(const struct ut_suite *s, const struct ut_test *t) {
  const char *why = unmet(s, t);
  if (why) {
    if (!s->hide_unmet)
      outf("SKIP %s: %s\n", t->name, why);
    return;
  }
  if (t->in_runner) {
    char msg[300];
    int r = t->in_runner(msg, sizeof msg);
    if (r == 0)
      outf("FAIL %s: %s\n", t->name, msg);
    if (r >= 0)
      report(t->name, r == 1);
    return;
  }
  if (s->before)
    s->before(t);
  bool passed = run_in_child(s, t);
  report(t->name, passed);
  if (s->after)
    s->after(t, passed);
}

static void run_named(const struct ut_suite *s, const char *name) {
  for (size_t i = 0; i < s->ntests; i++)
    if (strcmp(s->tests[i].name, name) == 0 && registered(s, &s->tests[i])) {
      run_test(s, &s->tests[i]);
      return;
    }
  outf("FAIL %s: no such test\n", name);
  g_failed++;
}

int ut_main(const struct ut_suite *s, int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "-l") == 0) {
    for (size_t i = 0; i < s->ntests; i++)
      if (registered(s, &s->tests[i]))
        outf("%s\n", s->tests[i].name);
    return 0;
  }
  if (argc > 1) {
    for (int i = 1; i < argc; i++)
      run_named(s, argv[i]);
  } else {
    for (size_t i = 0; i < s->ntests; i++)
      run_test(s, &s->tests[i]);
  }
  outf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
