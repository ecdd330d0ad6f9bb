// Tiny test harness shared by the host unit tests (tests/host/test_*.c).
// Each case prints "PASS name" or "FAIL name: detail" (the first failed check of the
// case, with its line); "N passed, N failed" comes last. A test's main is its table of
// cases: return HT_MAIN(cases, argc, argv, file_case).
#pragma once
#include <stdarg.h>
#include <stdio.h>

static struct {
  int passed, failed;
  int case_failed;       // the running case has a failed check
  char detail[512];      // first failure of the running case
} ht;

__attribute__((format(printf, 3, 4), unused))
static int ht_check(int ok, int line, const char *fmt, ...) {
  if (ok || ht.case_failed)
    return ok;
  ht.case_failed = 1;
  int n = snprintf(ht.detail, sizeof(ht.detail), "line %d: ", line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ht.detail + n, sizeof(ht.detail) - n, fmt, ap);
  va_end(ap);
  return ok;
}

// Checks evaluate to their result so a case can stop early: if (!EXPECT(...)) return;
#define EXPECT(cond) ht_check(!!(cond), __LINE__, "%s", #cond)
#define EXPECT_EQ(got, want)                                                           \
  ({                                                                                   \
    long long g_ = (long long)(got), w_ = (long long)(want);                           \
    ht_check(g_ == w_, __LINE__, "%s is %lld (%#llx), want %lld (%#llx)", #got, g_,     \
             (unsigned long long)g_, w_, (unsigned long long)w_);                      \
  })
// A table written in place, as two arguments: its first element and its length.
// F(HT_TABLE(struct x, {...}, {...})) calls F(const struct x *cases, size_t n).
#define HT_TABLE(type, ...)                                                            \
  (const type[]){__VA_ARGS__}, sizeof((const type[]){__VA_ARGS__}) / sizeof(type)

// Several EXPECT_EQs as one table: EXPECT_ALL(EQ(got, want), ...); true if all hold.
struct ht_eq {
  const char *text;
  long long got, want;
};
#define EQ(got, want) {#got, (long long)(got), (long long)(want)}
#define EXPECT_ALL(...) ht_all(__LINE__, HT_TABLE(struct ht_eq, __VA_ARGS__))
__attribute__((unused))
static int ht_all(int line, const struct ht_eq *e, size_t n) {
  int ok = 1;
  for (size_t i = 0; i < n; i++)
    ok &= ht_check(e[i].got == e[i].want, line, "%s is %lld (%#llx), want %lld (%#llx)",
                   e[i].text, e[i].got, (unsigned long long)e[i].got, e[i].want,
                   (unsigned long long)e[i].want);
  return ok;
}
// For failures found by a loop, where the interesting part is the iteration.
#define FAILF(...) ht_check(0, __LINE__, __VA_ARGS__)

__attribute__((unused))
static void ht_run(const char *name, void (*fn)(void)) {
  ht.case_failed = 0;
  ht.detail[0] = '\0';
  fn();
  if (ht.case_failed) {
    ht.failed++;
    printf("FAIL %s: %s\n", name, ht.detail);
  } else {
    ht.passed++;
    printf("PASS %s\n", name);
  }
  fflush(stdout);
}

struct ht_case {
  const char *name;
  void (*fn)(void);
};
#define HT(fn) {#fn, fn}

static const char *ht_file; // the command-line file the running file case looks at

// Every case in order; then, if file_fn is not NULL, one case per command-line argument
// ("file_fn ARG", with ht_file = ARG). The count line; the exit status.
__attribute__((unused))
static int ht_main(const struct ht_case *cases, size_t n, int argc, char **argv,
                   const char *file_name, void (*file_fn)(void)) {
  for (size_t i = 0; i < n; i++)
    ht_run(cases[i].name, cases[i].fn);
  for (int i = 1; file_fn && i < argc; i++) {
    char name[300];
    snprintf(name, sizeof(name), "%s %s", file_name, argv[i]);
    ht_file = argv[i];
    ht_run(name, file_fn);
  }
  printf("%d passed, %d failed\n", ht.passed, ht.failed);
  return ht.failed ? 1 : 0;
}
#define HT_MAIN(cases, argc, argv, file_fn)                                            \
  ht_main((cases), sizeof(cases) / sizeof((cases)[0]), (argc), (argv), #file_fn, (file_fn))
