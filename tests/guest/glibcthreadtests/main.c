// glibcthreadtests: pthreads under glibc (built with the host's gcc -static, not musl):
// glibc starts threads differently (clone3 first, rseq, a robust list per thread), so
// its programs exercise paths musl's do not. Standalone (libv is built with musl): each
// test runs in a forked child and prints "PASS name" or "FAIL name: why"; the last line
// is "N passed, N failed". It passes on Linux too.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c)) {                                                                          \
      printf("FAIL %s: check failed: %s (line %d)\n", g_name, #c, __LINE__);             \
      fflush(stdout);                                                                    \
      _exit(97);                                                                         \
    }                                                                                    \
  } while (0)

static const char *g_name;

#include "../pthreadcases.h"

static volatile long handled_by;
static void note(int sig) {
  (void)sig;
  handled_by = syscall(SYS_gettid);
}
// pthread_kill reaches the target thread: its handler runs there, while the thread is
// blocked in read (glibc's signal() restarts the read); a byte down the pipe ends it.
static volatile long worker;
static int kill_pipe[2];
static void *read_one(void *arg) {
  char c;
  worker = syscall(SYS_gettid);
  return (void *)read(kill_pipe[0], &c, (size_t)(intptr_t)arg);
}

static void t_pthread_kill(void) {
  signal(SIGUSR1, note);
  CHECK(pipe(kill_pipe) == 0);
  pthread_t th;
  void *r;
  CHECK(pthread_create(&th, NULL, read_one, (void *)1) == 0);
  while (!worker)
    pc_nap(1);
  pc_nap(10); // (in its read by now)
  CHECK(pthread_kill(th, SIGUSR1) == 0);
  for (int i = 0; i < 500 && !handled_by; i++)
    pc_nap(2);
  CHECK(handled_by == worker);
  CHECK(write(kill_pipe[1], "x", 1) == 1);
  CHECK(pthread_join(th, &r) == 0);
  CHECK((intptr_t)r == 1);
}

static void *do_exit(void *arg) {
  (void)arg;
  pc_nap(10);
  exit(42);
}

static void t_exit_group_from_thread(void) {
  int st = pc_status_of_group(do_exit);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
}

static const struct {
  const char *name;
  void (*fn)(void);
} tests[] = {
    {"join_values", pc_join_values}, {"mutex_counter", pc_mutex_counter},
    {"condvar_pingpong", pc_condvar_pingpong}, {"tls", pc_tls_values}, {"cancel", pc_cancel},
    {"pthread_kill", t_pthread_kill}, {"robust_mutex", pc_robust_mutex},
    {"exit_group_from_thread", t_exit_group_from_thread}, {"pi_mutex", pc_pi_mutex},
    {"pshared_mutex", pc_pshared_mutex},
};

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {

    int want = argc < 2;
    for (int a = 1; a < argc; a++)
      want |= strcmp(argv[a], tests[i].name) == 0;
    if (!want)
      continue;
    g_name = tests[i].name;
    pid_t pid = fork();
    if (pid == 0) {
      tests[i].fn();
      _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      printf("PASS %s\n", g_name);
      passed++;
    } else {
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 97)
        printf("FAIL %s: %s %d\n", g_name, WIFEXITED(st) ? "exited" : "killed by signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
      failed++;
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
