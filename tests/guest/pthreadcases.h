// pthreadcases.h: pthread tests that threadtests.c (musl) and glibcthreadtests/ (glibc,
// gcc -static) both run: the same program text under the two C libraries, whose thread
// start-up differs. The includer defines CHECK(cond); each case returns if it passed.
#pragma once
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// A sleep that is a cancellation point in both libraries (nanosleep itself).
static void pc_nap(long ms) {
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
  nanosleep(&ts, NULL);
}

static void *pc_plus_one(void *arg) { return (void *)((intptr_t)arg + 1); }

// pthread_join returns each thread's value.
static void pc_join_values(void) {
  pthread_t th[8];
  for (intptr_t i = 0; i < 8; i++)
    CHECK(pthread_create(&th[i], NULL, pc_plus_one, (void *)(i * 10)) == 0);
  for (intptr_t i = 0; i < 8; i++) {
    void *r;
    CHECK(pthread_join(th[i], &r) == 0);
    CHECK((intptr_t)r == i * 10 + 1);
  }
}

// Many threads add to a counter under a mutex (arg, or pc_lock); yields make them meet
// the lock held.
static pthread_mutex_t pc_lock = PTHREAD_MUTEX_INITIALIZER;
static long pc_counter;
static void *pc_count_up(void *arg) {
  pthread_mutex_t *m = arg ? arg : &pc_lock;
  for (int i = 0; i < 2000; i++) {
    CHECK(pthread_mutex_lock(m) == 0);
    long v = pc_counter;
    if (i % 100 == 0)
      sched_yield();
    pc_counter = v + 1;
    CHECK(pthread_mutex_unlock(m) == 0);
  }
  return NULL;
}

static void pc_mutex_counter(void) {
  pthread_t th[6];
  for (int i = 0; i < 6; i++)
    CHECK(pthread_create(&th[i], NULL, pc_count_up, NULL) == 0);
  for (int i = 0; i < 6; i++)
    CHECK(pthread_join(th[i], NULL) == 0);
  CHECK(pc_counter == 6 * 2000);
}

// Two threads take turns through a condition variable, 200 rounds.
static pthread_cond_t pc_cond = PTHREAD_COND_INITIALIZER;
static int pc_turn, pc_rounds;
static void *pc_pong(void *arg) {
  int me = (intptr_t)arg;
  pthread_mutex_lock(&pc_lock);
  while (pc_rounds < 200) {
    while (pc_turn != me && pc_rounds < 200)
      pthread_cond_wait(&pc_cond, &pc_lock);
    if (pc_rounds >= 200)
      break;
    pc_rounds++;
    pc_turn = !me;
    pthread_cond_broadcast(&pc_cond);
  }
  pthread_mutex_unlock(&pc_lock);
  return NULL;
}

static void pc_condvar_pingpong(void) {
  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, pc_pong, (void *)0) == 0);
  CHECK(pthread_create(&b, NULL, pc_pong, (void *)1) == 0);
  CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
  CHECK(pc_rounds == 200);
}

// Each thread starts with the initial TLS image and keeps its own value (fs_base).
static __thread long pc_tls = 7;
static void *pc_tls_set(void *arg) {
  if (pc_tls != 7)
    return (void *)-1;
  pc_tls = (intptr_t)arg;
  sched_yield();
  pc_nap(5);
  return (void *)pc_tls;
}

static void pc_tls_values(void) {
  pthread_t th[4];
  for (intptr_t i = 0; i < 4; i++)
    CHECK(pthread_create(&th[i], NULL, pc_tls_set, (void *)(100 + i)) == 0);
  pc_tls = 1;
  for (intptr_t i = 0; i < 4; i++) {
    void *r;
    CHECK(pthread_join(th[i], &r) == 0);
    CHECK((intptr_t)r == 100 + i);
  }
  CHECK(pc_tls == 1);
}

// pthread_cancel at a cancellation point (nanosleep): join sees PTHREAD_CANCELED.
static void *pc_sleep_forever(void *arg) {
  (void)arg;
  for (;;)
    pc_nap(10);
  return NULL;
}

static void pc_cancel(void) {
  pthread_t th;
  void *r;
  CHECK(pthread_create(&th, NULL, pc_sleep_forever, NULL) == 0);
  pc_nap(20);
  CHECK(pthread_cancel(th) == 0);
  CHECK(pthread_join(th, &r) == 0);
  CHECK(r == PTHREAD_CANCELED);
}

// A robust mutex whose owner thread ended holding it: the next locker gets EOWNERDEAD
// (the kernel's walk of the dead thread's robust list).
static pthread_mutex_t pc_robust;
static void *pc_lock_and_end(void *mutex) {
  pthread_mutex_lock(mutex);
  return NULL;
}

static void pc_robust_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&pc_robust, &a);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, pc_lock_and_end, &pc_robust) == 0);
  CHECK(pthread_join(th, NULL) == 0);
  CHECK(pthread_mutex_lock(&pc_robust) == EOWNERDEAD);
  CHECK(pthread_mutex_consistent(&pc_robust) == 0);
  CHECK(pthread_mutex_unlock(&pc_robust) == 0);
}

// PTHREAD_PRIO_INHERIT mutexes (the kernel's FUTEX_LOCK_PI and FUTEX_UNLOCK_PI): a
// counter under contention, trylock against a holder, and a robust one whose owner
// ended holding it.
static pthread_mutex_t pc_pi;
static void *pc_pi_try(void *arg) {
  (void)arg;
  return (void *)(intptr_t)pthread_mutex_trylock(&pc_pi);
}

static void pc_pi_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
  CHECK(pthread_mutex_init(&pc_pi, &a) == 0);
  pthread_t th[4];
  pc_counter = 0;
  for (int i = 0; i < 4; i++)
    CHECK(pthread_create(&th[i], NULL, pc_count_up, &pc_pi) == 0);
  for (int i = 0; i < 4; i++)
    CHECK(pthread_join(th[i], NULL) == 0);
  CHECK(pc_counter == 4 * 2000);
  void *r;
  CHECK(pthread_mutex_lock(&pc_pi) == 0);
  CHECK(pthread_create(&th[0], NULL, pc_pi_try, NULL) == 0);
  CHECK(pthread_join(th[0], &r) == 0);
  CHECK((intptr_t)r == EBUSY);
  CHECK(pthread_mutex_unlock(&pc_pi) == 0);
  CHECK(pthread_mutex_destroy(&pc_pi) == 0);
  CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0);
  CHECK(pthread_mutex_init(&pc_pi, &a) == 0);
  CHECK(pthread_create(&th[0], NULL, pc_lock_and_end, &pc_pi) == 0);
  CHECK(pthread_join(th[0], NULL) == 0);
  CHECK(pthread_mutex_lock(&pc_pi) == EOWNERDEAD);
  CHECK(pthread_mutex_consistent(&pc_pi) == 0);
  CHECK(pthread_mutex_unlock(&pc_pi) == 0);
}

// PTHREAD_PROCESS_SHARED mutex and condition variable in MAP_SHARED memory: two
// processes take turns (non-private futex ops, keyed by the shared page), then the
// same with a process-shared PI mutex.
struct pc_shared {
  pthread_mutex_t m, pi;
  pthread_cond_t c;
  int turn;
  long total;
};

static void pc_shared_turns(struct pc_shared *s, int me, int rounds) {
  for (int i = 0; i < rounds; i++) {
    CHECK(pthread_mutex_lock(&s->m) == 0);
    while (s->turn != me)
      CHECK(pthread_cond_wait(&s->c, &s->m) == 0);
    s->turn = !me;
    CHECK(pthread_cond_broadcast(&s->c) == 0);
    CHECK(pthread_mutex_unlock(&s->m) == 0);
    CHECK(pthread_mutex_lock(&s->pi) == 0);
    long v = s->total;
    sched_yield();
    s->total = v + 1;
    CHECK(pthread_mutex_unlock(&s->pi) == 0);
  }
}

static void pc_pshared_mutex(void) {
  struct pc_shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  pthread_mutexattr_t ma;
  pthread_condattr_t ca;
  pthread_mutexattr_init(&ma);
  pthread_condattr_init(&ca);
  CHECK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0);
  CHECK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) == 0);
  CHECK(pthread_mutex_init(&s->m, &ma) == 0);
  CHECK(pthread_cond_init(&s->c, &ca) == 0);
  CHECK(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT) == 0);
  CHECK(pthread_mutex_init(&s->pi, &ma) == 0);
  s->turn = 0;
  s->total = 0;
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    pc_shared_turns(s, 1, 200);
    _exit(0);
  }
  pc_shared_turns(s, 0, 200);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECK(s->total == 400);
}

// The wait status of a child whose main thread starts fn in a thread and then waits
// for signals for ever: how the process ends is fn's doing (exit_group, a fatal signal).
static int pc_status_of_group(void *(*fn)(void *)) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    pthread_t th;
    pthread_create(&th, NULL, fn, NULL);
    for (;;)
      pause();
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  return st;
}
