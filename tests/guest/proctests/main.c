// proctests: the proc: scheme's test suite (docs/proc.md; /work/shared/anchors.md §5-6).
//
// One program of several files, one per section of the suite (lifecycle.c, fork.c,
// syscalls.c, steps.c, signals.c, regs.c, fpregs.c, mem.c, perm.c, badinput.c, tree.c);
// each ends with its table of tests, and sections[] below runs them in that order.
// helpers.c and probes.c hold what the sections share (declared in proctests.h).
//
// Every test is a function in its section's table, run by the shared runner
// (user/lib/utest.h): one child per test, in its own process group, waited for with a
// deadline; each test gives exactly one PASS or FAIL line, and the last line is always
// "N passed, N failed"; the exit status is 1 if anything failed.
//
//   proctests            run every test
//   proctests NAME...    run only the named tests
//   proctests -l         list the tests
//
// The tests trace processes running this same program (static, not position-
// independent), so an address taken here is the same address in the target: the
// probes (probes.c) are short assembly sequences whose every instruction address the tracer
// knows. Timing is never trusted for correctness: a "did not run" check gives the
// target ample time (tens of milliseconds) to do the wrong thing and then looks.
#include "proctests.h"

// Every section's tests, in this order.
static const struct section {
  const struct ut_test *tests;
  const size_t *ntests;
} sections[] = {
#define SECTION(name) {name##_tests, &name##_ntests},
    SECTIONS(SECTION)
#undef SECTION
};

// One table of all the sections' tests, for the runner.
static struct ut_test *all_tests(size_t *n) {
  size_t total = 0;
  for (size_t s = 0; s < UT_NTESTS(sections); s++)
    total += *sections[s].ntests;
  struct ut_test *t = calloc(total, sizeof *t);
  if (!t) {
    outf("proctests: out of memory\n");
    exit(1);
  }
  *n = 0;
  for (size_t s = 0; s < UT_NTESTS(sections); s++)
    for (size_t i = 0; i < *sections[s].ntests; i++)
      t[(*n)++] = sections[s].tests[i];
  return t;
}

// The test's child: a write to a dead kid's pipe fails a check, not the test.
static void ignore_sigpipe(const struct ut_test *t) {
  (void)t;
  signal(SIGPIPE, SIG_IGN);
}

// Helper modes, for the processes the tests exec:
//   --wait          read one byte from stdin, exit with it
//   --peek ADDR N   print N bytes of this process's memory at ADDR, in hex
static int helper_mode(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--wait") == 0) {
    unsigned char c;
    return read(0, &c, 1) == 1 ? c : 99;
  }
  if (argc == 4 && strcmp(argv[1], "--peek") == 0) {
    const unsigned char *p = (const unsigned char *)strtoul(argv[2], NULL, 0);
    size_t n = strtoul(argv[3], NULL, 0);
    for (size_t i = 0; i < n; i++)
      outf("%02x", p[i]);
    return 0;
  }
  return -1;
}

int main(int argc, char **argv) {
  int code = helper_mode(argc, argv);
  if (code >= 0)
    return code;
  ut_setup(argv[0], "/tests/proctests");
  g_argc = argc, g_argv = argv;
  struct ut_suite suite = {.deadline_ms = TEST_DEADLINE_MS,
                           .own_group = true,
                           .setup = ignore_sigpipe};
  suite.tests = all_tests(&suite.ntests);
  return ut_main(&suite, argc, argv);
}
