// utest: the runner and the checks of the in-guest test suites (usertests, posixtests,
// fstests, proctests).
//
// A suite is a table of tests (struct ut_test); ut_main() runs every test, or the ones
// named on the command line in that order ("-l" lists them), each in a child of its
// own, and prints one line per test: "PASS name", "FAIL name: reason" or "SKIP name:
// why". The last line is always "N passed, N failed" (tools/runtests.sh reads it), and
// the exit status is 1 if anything failed.
//
// A failing check (CHECK, EXPECT_ERR, OK, ...) in the test's own child prints "FAIL
// name: reason [context] (line N)" and exits UT_FAIL_EXIT. A process the test forked
// prints a "# name [pid N]: reason (line N)" comment line instead and exits
// UT_FAIL_EXIT, which the test then sees and fails on: every test prints exactly one
// PASS or FAIL line.
//
// Output goes through write(2), never buffered stdio, so nothing is printed twice by a
// forked child.
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UT_FAIL_EXIT 97 // the process already printed why it failed

// ---- the suite ----
struct ut_test {
  const char *name;
  void (*fn)(void);    // runs in a child of its own; passes if that child exits 0
  const char *needs;   // NULL, or what the test needs (struct ut_suite's unmet says)
  // Instead of fn: a check run in the runner process itself (after the tests before
  // it). Returns 1 (pass), 0 (fail, the reason in why) or -1 (no result at all here).
  int (*in_runner)(char *why, size_t n);
};
#define UT(id) {#id, t_##id, NULL, NULL}
#define UT_IF(id, needs) {#id, t_##id, (needs), NULL}

struct ut_suite {
  const struct ut_test *tests;
  size_t ntests;
  int deadline_ms; // > 0: a test still running after this long is killed, and fails
  bool own_group;  // each test runs in a process group of its own, killed when it ends
  // What a test's needs are not met by here (NULL: met). Default: ut_unmet_file().
  const char *(*unmet)(const char *needs);
  // A test whose needs are unmet is not registered at all: neither run, listed nor
  // counted (naming it is "no such test"). Otherwise it is listed and prints SKIP.
  bool hide_unmet;
  void (*before)(const struct ut_test *t);   // in the runner, before the test's fork
  void (*setup)(const struct ut_test *t);    // in the test's child, before t->fn
  void (*after)(const struct ut_test *t, bool passed); // in the runner, after it
};
#define UT_NTESTS(table) (sizeof(table) / sizeof((table)[0]))

// Run the suite as main's arguments ask; returns main's exit status.
int ut_main(const struct ut_suite *s, int argc, char **argv);

// "no PATH" unless PATH is an executable file.
const char *ut_unmet_file(const char *path);

// Set g_self (argv0 made absolute; fallback where argv0 has no '/') and g_vitrine;
// on the host, no core files from the crash tests.
void ut_setup(const char *argv0, const char *fallback);

extern const char *g_self; // this program's absolute path, for execve and open
extern int g_vitrine;      // running on Vitrine (uname's sysname), not on the host
extern const char *g_name; // the test being run
extern long g_test_pid;    // the test's own child: the one process that prints FAIL
extern char g_ctx[120];    // extra context for a failure message (ctx(); "" for none)

// ---- system calls ----
// Every raw system call goes through sc(), which widens each argument to long first:
// syscall() is variadic and reads longs, so an int -1 passed as it is would arrive as
// 0xffffffff. musl's own wrappers sign-extend the same way.
long sc6(long n, long a, long b, long c, long d, long e, long f);
#define SC_(n, a, b, c, d, e, f, ...)                                                    \
  sc6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define sc(...) SC_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

// ---- output and failure reporting ----
void write_all(int fd, const char *s, size_t n);
__attribute__((format(printf, 1, 2))) void outf(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void ctx(const char *fmt, ...);
__attribute__((noreturn, format(printf, 2, 3))) void fail_at(int line, const char *fmt, ...);
const char *describe(int wait_status); // "exited 3", "killed by signal 9", ...

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c))                                                                            \
      fail_at(__LINE__, "check failed: %s", #c);                                         \
  } while (0)

// Like CHECK, with the two values shown (both as unsigned 64-bit hex).
#define CHECK_EQ(x, y)                                                                   \
  do {                                                                                   \
    uint64_t x_ = (uint64_t)(x), y_ = (uint64_t)(y);                                     \
    if (x_ != y_)                                                                        \
      fail_at(__LINE__, "%s == %s: 0x%lx != 0x%lx", #x, #y, (unsigned long)x_,           \
              (unsigned long)y_);                                                        \
  } while (0)

// The call must fail with -1 and exactly errno err. The result and errno are read in
// sequence (not as two arguments of one call, whose order C leaves open).
#define EXPECT_ERR(call, err)                                                            \
  do {                                                                                   \
    errno = 0;                                                                           \
    long r_ = (long)(call);                                                              \
    int e_ = errno;                                                                      \
    if (r_ != -1 || e_ != (err))                                                         \
      fail_at(__LINE__, "%s: want -1 %s, got %ld errno %d (%s)", #call, #err, r_, e_,    \
              strerror(e_));                                                             \
  } while (0)

// The call must not fail; evaluates to its result.
#define OK(call)                                                                         \
  ({                                                                                     \
    errno = 0;                                                                           \
    long r_ = (long)(call);                                                              \
    if (r_ == -1)                                                                        \
      fail_at(__LINE__, "%s failed: errno %d (%s)", #call, errno, strerror(errno));      \
    r_;                                                                                  \
  })

// The call must return exactly want.
#define EXPECT_EQ(call, want)                                                            \
  do {                                                                                   \
    errno = 0;                                                                           \
    long r_ = (long)(call), w_ = (long)(want);                                           \
    if (r_ != w_)                                                                        \
      fail_at(__LINE__, "%s: want %ld, got %ld (errno %d)", #call, w_, r_, errno);       \
  } while (0)

// A wait status: exited with code; killed by sig (nothing else but the core-dump bit).
void expect_exit_at(int line, int st, int code);
void expect_killed_at(int line, int st, int sig);
#define EXPECT_EXIT(st, code) expect_exit_at(__LINE__, (st), (code))
#define EXPECT_KILLED(st, sig) expect_killed_at(__LINE__, (st), (sig))

// ---- processes ----
// fork through the raw system call: nothing here needs musl's fork() (atfork handlers,
// signal-mask calls a traced process would report).
long xfork(void);
int wait_for(long pid);             // wait4 for pid (which must be ours); its status
int child_status(void (*fn)(void)); // fn in a new child; the child's wait status
void sleep_ms(long ms);             // the whole time, even if signals interrupt it
long now_ms(void);                  // CLOCK_MONOTONIC in milliseconds
void overflow_stack(void);          // recurse until the stack runs out (SIGSEGV)
