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

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

static void *plus_one(void *arg) { return (void *)((intptr_t)arg + 1); }

static void t_join_values(void) {
  pthread_t th[8];
  for (intptr_t i = 0; i < 8; i++)
    CHECK(pthread_create(&th[i], NULL, plus_one, (void *)(i * 10)) == 0);
  for (intptr_t i = 0; i < 8; i++) {
    void *r;
    CHECK(pthread_join(th[i], &r) == 0);
    CHECK((intptr_t)r == i * 10 + 1);
  }
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *count_up(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&lock);
    long v = counter;
    if (i % 100 == 0)
      sched_yield();
    counter = v + 1;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static void t_mutex_counter(void) {
  pthread_t th[6];
  for (int i = 0; i < 6; i++)
    CHECK(pthread_create(&th[i], NULL, count_up, NULL) == 0);
  for (int i = 0; i < 6; i++)
    CHECK(pthread_join(th[i], NULL) == 0);
  CHECK(counter == 12000);
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, rounds;
static void *pong(void *arg) {
  int me = (intptr_t)arg;
  pthread_mutex_lock(&lock);
  while (rounds < 200) {
    while (turn != me && rounds < 200)
      pthread_cond_wait(&cond, &lock);
    if (rounds >= 200)
      break;
    rounds++;
    turn = !me;
    pthread_cond_broadcast(&cond);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void t_condvar_pingpong(void) {
  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, pong, (void *)0) == 0);
  CHECK(pthread_create(&b, NULL, pong, (void *)1) == 0);
  CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
  CHECK(rounds == 200);
}

static __thread long tls = 7;
static void *tls_set(void *arg) {
  if (tls != 7)
    return (void *)-1;
  tls = (intptr_t)arg;
  sleep_ms(5);
  return (void *)tls;
}

static void t_tls(void) {
  pthread_t th[4];
  for (intptr_t i = 0; i < 4; i++)
    CHECK(pthread_create(&th[i], NULL, tls_set, (void *)(100 + i)) == 0);
  tls = 1;
  for (intptr_t i = 0; i < 4; i++) {
    void *r;
    CHECK(pthread_join(th[i], &r) == 0);
    CHECK((intptr_t)r == 100 + i);
  }
  CHECK(tls == 1);
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;)
    sleep_ms(10); // nanosleep: a cancellation point
  return NULL;
}

static void t_cancel(void) {
  pthread_t th;
  void *r;
  CHECK(pthread_create(&th, NULL, sleeper, NULL) == 0);
  sleep_ms(20);
  CHECK(pthread_cancel(th) == 0);
  CHECK(pthread_join(th, &r) == 0);
  CHECK(r == PTHREAD_CANCELED);
}

static volatile long handled_by;
static void note(int sig) {
  (void)sig;
  handled_by = syscall(SYS_gettid);
}
static volatile long worker;
static volatile int stop;
static void *wait_stop(void *arg) {
  (void)arg;
  worker = syscall(SYS_gettid);
  while (!stop)
    sleep_ms(2);
  return NULL;
}

static void t_pthread_kill(void) {
  signal(SIGUSR1, note);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, wait_stop, NULL) == 0);
  while (!worker)
    sleep_ms(1);
  CHECK(pthread_kill(th, SIGUSR1) == 0);
  for (int i = 0; i < 500 && !handled_by; i++)
    sleep_ms(2);
  CHECK(handled_by == worker);
  stop = 1;
  CHECK(pthread_join(th, NULL) == 0);
}

// glibc's robust mutexes rely on the kernel's walk of the robust list at thread death.
static pthread_mutex_t robust;
static void *lock_and_die(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL;
}

static void t_robust_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, lock_and_die, NULL) == 0);
  CHECK(pthread_join(th, NULL) == 0);
  CHECK(pthread_mutex_lock(&robust) == EOWNERDEAD);
  CHECK(pthread_mutex_consistent(&robust) == 0);
  CHECK(pthread_mutex_unlock(&robust) == 0);
}

static void *do_exit(void *arg) {
  (void)arg;
  sleep_ms(10);
  exit(42);
}

static void t_exit_group_from_thread(void) {
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t th;
    pthread_create(&th, NULL, do_exit, NULL);
    for (;;)
      pause();
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
}

static const struct {
  const char *name;
  void (*fn)(void);
} tests[] = {
    {"join_values", t_join_values}, {"mutex_counter", t_mutex_counter},
    {"condvar_pingpong", t_condvar_pingpong}, {"tls", t_tls}, {"cancel", t_cancel},
    {"pthread_kill", t_pthread_kill}, {"robust_mutex", t_robust_mutex},
    {"exit_group_from_thread", t_exit_group_from_thread},
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
