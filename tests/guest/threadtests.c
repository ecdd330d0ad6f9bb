// threadtests: threads (clone with CLONE_THREAD, musl's pthreads), futexes and the
// robust list, as Linux does them (docs/threads.md).
//
//   threadtests            run every test
//   threadtests NAME...    run only the named tests
//   threadtests -l         list the tests
//
// Every test passes on Linux too: the binary (musl-gcc -static) runs on the host.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"
#include <vitrine/futex.h>
#include "pthreadcases.h"

#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define SURVIVED 55 // exit code of a process that outlived what should have ended it

// ---- pthreads (the cases glibcthreadtests runs too) ----
static void t_join_values(void) { pc_join_values(); }
static void t_mutex_counter(void) { pc_mutex_counter(); }
static void t_condvar_pingpong(void) { pc_condvar_pingpong(); }
static void t_tls(void) { pc_tls_values(); }
static void t_cancel(void) { pc_cancel(); }
static void t_robust_mutex(void) { pc_robust_mutex(); }
static void t_pi_mutex(void) { pc_pi_mutex(); }
static void t_pshared_mutex(void) { pc_pshared_mutex(); }

static long ids[3];
static void *get_ids(void *arg) {
  (void)arg;
  ids[0] = getpid(), ids[1] = sc(SYS_gettid), ids[2] = getppid();
  return NULL;
}

static void t_ids(void) {
  pthread_t th;
  CHECK_EQ(sc(SYS_gettid), getpid()); // the main thread is the leader
  CHECK_EQ(pthread_create(&th, NULL, get_ids, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(ids[0], getpid());
  CHECK(ids[1] != getpid() && ids[1] > 0);
  CHECK_EQ(ids[2], getppid());
}

// A thread and the main thread share descriptors, cwd and umask.
static int shared_fd = -1;
static void *share_things(void *arg) {
  (void)arg;
  shared_fd = open("/", O_RDONLY);
  chdir("/tmp");
  umask(077);
  return NULL;
}

static void t_shared_state(void) {
  pthread_t th;
  char cwd[64];
  CHECK_EQ(pthread_create(&th, NULL, share_things, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK(shared_fd >= 0);
  CHECK_EQ(fcntl(shared_fd, F_GETFD), 0);
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0);
  CHECK_EQ(umask(022), 077);
}

// Credentials are the process's: set in one thread, they hold in all. musl's setresuid
// makes every thread call it (Linux's ids are per thread); Vitrine's raw call alone
// does it (docs/threads.md).
static void *drop_ids(void *arg) {
  if (arg)
    sc(SYS_setresuid, 1001, 1001, 1001);
  else
    setresuid(1000, 1000, 1000);
  return NULL;
}

static void t_shared_creds(void) {
  pthread_t th;
  if (getuid() != 0)
    return; // (not root on this host: nothing to drop)
  if (g_vitrine) {
    pid_t pid = OK(fork());
    if (pid == 0) {
      pthread_create(&th, NULL, drop_ids, (void *)1);
      pthread_join(th, NULL);
      _exit(getuid() == 1001 && geteuid() == 1001 ? 0 : 1);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_EXIT(st, 0);
  }
  CHECK_EQ(pthread_create(&th, NULL, drop_ids, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(getuid(), 1000);
  CHECK_EQ(geteuid(), 1000);
}

// ---- signals ----
static _Atomic long handled_by;
static void note_tid(int sig) {
  (void)sig;
  handled_by = sc(SYS_gettid);
}

static _Atomic int stop_waiting;
static _Atomic long worker_tid;
static void *unblocked_worker(void *arg) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(arg ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
  worker_tid = sc(SYS_gettid);
  while (!stop_waiting)
    sleep_ms(2);
  return NULL;
}

// kill() goes to the one thread that does not block the signal.
static void t_kill_unblocked_thread(void) {
  signal(SIGUSR1, note_tid);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, unblocked_worker, NULL), 0);
  while (!worker_tid)
    sleep_ms(1);
  OK(kill(getpid(), SIGUSR1));
  for (int i = 0; i < 500 && !handled_by; i++)
    sleep_ms(2);
  stop_waiting = 1;
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(handled_by, worker_tid);
}

// pthread_kill (tgkill) reaches exactly the target, even if another thread would take it.
static void t_pthread_kill_target(void) {
  signal(SIGUSR1, note_tid);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, unblocked_worker, NULL), 0);
  while (!worker_tid)
    sleep_ms(1);
  CHECK_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
  CHECK_EQ(handled_by, getpid()); // the main thread, whose tid is the pid
  handled_by = 0;
  CHECK_EQ(pthread_kill(th, SIGUSR1), 0);
  for (int i = 0; i < 500 && !handled_by; i++)
    sleep_ms(2);
  CHECK_EQ(handled_by, worker_tid);
  EXPECT_ERR(sc(SYS_tgkill, getpid() + 100000, worker_tid, 0), ESRCH);
  EXPECT_ERR(sc(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
  stop_waiting = 1;
  CHECK_EQ(pthread_join(th, NULL), 0);
}

// A POSIX timer's SIGEV_THREAD_ID may name any thread of the process: its signal goes
// to that thread, though the main thread (the timer's creator) does not block it.
static void t_timer_thread_id(void) {
  struct {
    uint64_t value;
    int signo, notify;
    int tid;
    int pad[11];
  } ev = {.signo = SIGUSR1, .notify = 4 /* SIGEV_THREAD_ID */};
  int id = -1;
  struct itimerspec soon = {{0, 0}, {0, 10000000}};
  signal(SIGUSR1, note_tid);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, unblocked_worker, NULL), 0);
  while (!worker_tid)
    sleep_ms(1);
  ev.tid = worker_tid;
  OK(sc(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id));
  OK(sc(SYS_timer_settime, id, 0, &soon, NULL));
  for (int i = 0; i < 500 && !handled_by; i++)
    sleep_ms(2);
  stop_waiting = 1;
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(handled_by, worker_tid);
  OK(sc(SYS_timer_delete, id));
}

// SIGSTOP stops every thread of the process (a group stop), wait4 reports it once, and
// SIGCONT continues them all.
static _Atomic long spins[2];
static void *spin_count(void *arg) {
  for (;;)
    spins[(intptr_t)arg]++;
  return NULL;
}

static char thread_state(pid_t pid, long tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%ld/stat", pid, tid);
  int fd = open(path, O_RDONLY);
  long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

static void t_group_stop(void) {
  int p[2];
  OK(pipe(p));
  pid_t pid = OK(fork());
  if (pid == 0) {
    pthread_t a, b;
    pthread_create(&a, NULL, spin_count, (void *)0);
    pthread_create(&b, NULL, spin_count, (void *)1);
    long tids[2] = {0, 0};
    while (!spins[0] || !spins[1])
      sched_yield();
    DIR *d = opendir("/proc/self/task"); // (the two threads: not the main one)
    for (struct dirent *e; d && (e = readdir(d));)
      if (atol(e->d_name) > 0 && atol(e->d_name) != getpid())
        tids[tids[0] ? 1 : 0] = atol(e->d_name);
    write(p[1], tids, sizeof tids);
    for (;;)
      pause();
  }
  long tids[2];
  CHECK_EQ(read(p[0], tids, sizeof tids), sizeof tids);
  OK(kill(pid, SIGSTOP));
  int st;
  CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
  CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  for (int i = 0; i < 2; i++) {
    for (int k = 0; k < 100 && thread_state(pid, tids[i]) != 'T'; k++)
      sleep_ms(5);
    ctx("thread %ld", tids[i]);
    CHECK_EQ(thread_state(pid, tids[i]), 'T');
  }
  CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0); // reported once
  OK(kill(pid, SIGCONT));
  for (int i = 0; i < 2; i++) {
    for (int k = 0; k < 100 && thread_state(pid, tids[i]) == 'T'; k++)
      sleep_ms(5);
    CHECK(thread_state(pid, tids[i]) != 'T');
  }
  OK(kill(pid, SIGKILL));
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_KILLED(st, SIGKILL);
}

static void *crash(void *arg) {
  (void)arg;
  sleep_ms(10);
  raise(SIGSEGV); // fatal (default action), ends every thread
  return NULL;
}

static void t_fatal_signal_ends_group(void) { EXPECT_KILLED(pc_status_of_group(crash), SIGSEGV); }

static void *do_exit_group(void *arg) {
  (void)arg;
  sleep_ms(10);
  exit(42); // exit_group
}

static void t_exit_group_from_thread(void) { EXPECT_EXIT(pc_status_of_group(do_exit_group), 42); }

// The main thread exits (SYS_exit, only itself): the process lives on in the other
// thread until it ends, and wait4 reports the process once, after both, with the status
// of the last thread to exit (as Linux does).
static void *exit_later(void *arg) {
  (void)arg;
  sleep_ms(30);
  if (kill(getppid(), 0) != 0) // (still a process with a parent)
    sc(SYS_exit_group, 1);
  sc(SYS_exit, 9);
  return NULL;
}

static void t_leader_exits_first(void) {
  pid_t pid = OK(fork());
  if (pid == 0) {
    pthread_t th;
    pthread_create(&th, NULL, exit_later, NULL);
    sc(SYS_exit, 5);
  }
  int st;
  sleep_ms(10);
  CHECK_EQ(waitpid(pid, &st, WNOHANG), 0); // a thread still runs
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_EXIT(st, 9);
}

static char **g_argv;
static void *do_exec(void *arg) {
  (void)arg;
  char *argv[] = {(char *)g_self, "--report-pid", NULL};
  execv(g_self, argv);
  _exit(100);
}

static void t_execve_from_thread(void) {
  int p[2];
  OK(pipe(p));
  pid_t pid = OK(fork());
  if (pid == 0) {
    dup2(p[1], 1);
    pthread_t th;
    pthread_create(&th, NULL, do_exec, NULL);
    for (;;)
      pause();
  }
  close(p[1]);
  char buf[64] = {0};
  int n = 0, r;
  while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
    n += r;
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_EXIT(st, 0);
  long rpid, rtid;
  CHECK(sscanf(buf, "%ld %ld", &rpid, &rtid) == 2);
  CHECK_EQ(rpid, pid); // the group's pid survives the exec
  CHECK_EQ(rtid, pid); // and the new program's one thread has it as its tid
}

static _Atomic int forked_child_threads = -1;
static void *do_fork(void *arg) {
  (void)arg;
  pid_t c = fork();
  if (c == 0) {
    // Only this thread was copied: the child's getpid is its own, tid == pid.
    _exit(sc(SYS_gettid) == getpid() ? 0 : 1);
  }
  int st;
  if (waitpid(c, &st, 0) != c)
    return (void *)2;
  return (void *)(intptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
}

static void t_fork_from_thread(void) {
  pthread_t th, spinner;
  void *r;
  CHECK_EQ(pthread_create(&spinner, NULL, pc_sleep_forever, NULL), 0);
  CHECK_EQ(pthread_create(&th, NULL, do_fork, NULL), 0);
  CHECK_EQ(pthread_join(th, &r), 0);
  CHECK_EQ((intptr_t)r, 0);
  (void)forked_child_threads;
}

// Threads count against the process table: creating them without end fails with
// EAGAIN, and everything keeps working afterwards.
static void *park(void *arg) {
  (void)arg;
  for (;;)
    pause();
  return NULL;
}

static void t_thread_bomb(void) {
  pid_t pid = OK(fork());
  if (pid == 0) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 16384);
    int n = 0, err = 0;
    pthread_t th;
    while (n < 100000 && (err = pthread_create(&th, &a, park, NULL)) == 0)
      n++;
    _exit(err == EAGAIN && n > 4 ? 0 : 1);
  }
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_EXIT(st, 0);
  pid = OK(fork()); // the table has room again
  if (pid == 0)
    _exit(3);
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_EXIT(st, 3);
}

// wait4 sees the process, not its threads.
static void t_wait_sees_group(void) {
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, pc_plus_one, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  EXPECT_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
  EXPECT_ERR(waitpid(-1, NULL, WNOHANG | __WALL), ECHILD);
}

// waitid, like wait4, sees the process, not its threads.
static void t_waitid_sees_group(void) {
  pthread_t th;
  siginfo_t si;
  CHECK_EQ(pthread_create(&th, NULL, pc_plus_one, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  EXPECT_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
  EXPECT_ERR(waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | __WALL), ECHILD);
}

// Resource limits, the personality and the interval timers are the process's: set in
// one thread, they hold in all (raw calls: no libc broadcast).
static void *set_process_things(void *arg) {
  (void)arg;
  struct rlimit lim = {8, 8};
  struct itimerval it = {{0, 0}, {30, 0}};
  sc(SYS_prlimit64, 0, RLIMIT_NOFILE, (long)&lim, 0);
  sc(SYS_setitimer, ITIMER_REAL, (long)&it, 0);
  return NULL;
}

static void t_process_wide_state(void) {
  pthread_t th;
  struct rlimit lim;
  struct itimerval it;
  CHECK_EQ(pthread_create(&th, NULL, set_process_things, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  OK(getrlimit(RLIMIT_NOFILE, &lim));
  CHECK_EQ(lim.rlim_cur, 8);
  CHECK_EQ(lim.rlim_max, 8);
  EXPECT_ERR(fcntl(0, F_DUPFD, 8), EINVAL); // enforced in the thread that did not set it
  OK(getitimer(ITIMER_REAL, &it));
  CHECK(it.it_value.tv_sec > 0 && it.it_value.tv_sec <= 30);
  struct itimerval off = {{0, 0}, {0, 0}};
  OK(setitimer(ITIMER_REAL, &off, NULL));
}

// Record locks belong to the process: a thread's lock does not conflict with its
// process's, F_GETLK names the process, and a close in any thread releases them.
static int lock_fd;
static void *lock_in_thread(void *arg) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  if (arg) { // close a second descriptor for the file: the process's locks go
    close(open("/tmp/threadlock", O_RDWR));
    return NULL;
  }
  return (void *)(long)fcntl(lock_fd, F_SETLK, &fl); // (the main thread holds [0, 10))
}

static int other_process_sees(short *type, pid_t *holder) {
  int pipefd[2];
  OK(pipe(pipefd));
  pid_t pid = OK(fork());
  if (pid == 0) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    fcntl(lock_fd, F_GETLK, &fl);
    struct {
      short type;
      pid_t pid;
    } r = {fl.l_type, fl.l_pid};
    write(pipefd[1], &r, sizeof r);
    _exit(0);
  }
  struct {
    short type;
    pid_t pid;
  } r = {-1, -1};
  CHECK_EQ(read(pipefd[0], &r, sizeof r), (long)sizeof r);
  OK(waitpid(pid, NULL, 0));
  close(pipefd[0]), close(pipefd[1]);
  *type = r.type, *holder = r.pid;
  return 0;
}

static void t_locks_are_the_process(void) {
  pthread_t th;
  void *r;
  short type;
  pid_t holder;
  lock_fd = OK(open("/tmp/threadlock", O_RDWR | O_CREAT | O_TRUNC, 0600));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  OK(fcntl(lock_fd, F_SETLK, &fl));
  CHECK_EQ(pthread_create(&th, NULL, lock_in_thread, NULL), 0);
  CHECK_EQ(pthread_join(th, &r), 0);
  CHECK_EQ((long)r, 0);
  other_process_sees(&type, &holder);
  CHECK_EQ(type, F_WRLCK);
  CHECK_EQ(holder, getpid());
  CHECK_EQ(pthread_create(&th, NULL, lock_in_thread, (void *)1), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  other_process_sees(&type, &holder);
  CHECK_EQ(type, F_UNLCK);
  close(lock_fd);
  unlink("/tmp/threadlock");
}

// ---- clone's flags ----
static void t_clone_bad_flags(void) {
  EXPECT_ERR(sc(SYS_clone, CLONE_THREAD | CLONE_VM, 0, 0, 0, 0), EINVAL);
  EXPECT_ERR(sc(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0), EINVAL);
  EXPECT_ERR(sc(SYS_clone, CLONE_THREAD, 0, 0, 0, 0), EINVAL);
  // A TLS base outside user space: as arch_prctl(ARCH_SET_FS).
  EXPECT_ERR(sc(SYS_clone, SIGCHLD | CLONE_SETTLS, 0, 0, 0, 0x8000000000000000ul), EPERM);
  struct { uint64_t f[11]; } args = {{0}};
  EXPECT_ERR(sc(SYS_clone3, &args, 8), EINVAL);         // smaller than version 0
  EXPECT_ERR(sc(SYS_clone3, &args, 8192), E2BIG);       // bigger than a page
  args.f[0] = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;  // a thread with an exit signal
  args.f[4] = SIGCHLD;
  EXPECT_ERR(sc(SYS_clone3, &args, 88), EINVAL);
  args.f[0] = 0, args.f[4] = 0, args.f[6] = 4096;       // stack size without stack
  EXPECT_ERR(sc(SYS_clone3, &args, 88), EINVAL);
  EXPECT_ERR(sc(SYS_clone3, (void *)8, 88), EFAULT);
}

// clone3 as fork: a child with SIGCHLD as its exit signal.
static void t_clone3_fork(void) {
  struct { uint64_t f[11]; } args = {{0}};
  args.f[4] = SIGCHLD;
  long pid = sc(SYS_clone3, &args, 88);
  CHECK(pid >= 0);
  if (pid == 0)
    _exit(7);
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_EXIT(st, 7);
}

// A stack pointer into unmapped memory: the new thread faults, and the whole process
// dies of SIGSEGV; nothing worse.
static void t_clone_bad_stack(void) {
  pid_t pid = OK(fork());
  if (pid == 0) {
    long r = sc(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD,
                0x1000, 0, 0, 0);
    if (r == 0) // (the child: its first push faults; never reached on a good kernel)
      for (;;)
        ;
    sleep_ms(2000);
    _exit(SURVIVED);
  }
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  // The child thread runs on with no stack: its `ret` from syscall() pops garbage.
  CHECK(WIFSIGNALED(st));
}

// ---- futexes ----
static long futex(uint32_t *ua, int op, uint32_t val, const void *t, uint32_t *ua2, uint32_t v3) {
  return sc(SYS_futex, ua, op, val, t, ua2, v3);
}

static void t_futex_errors(void) {
  static uint32_t w = 5;
  struct timespec ts = {0, 1000000}, bad = {0, 1000000000};
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);            // value changed
  EXPECT_ERR(futex((uint32_t *)((char *)&w + 1), FUTEX_WAIT, 5, NULL, NULL, 0), EINVAL);
  EXPECT_ERR(futex((uint32_t *)8, FUTEX_WAIT, 5, NULL, NULL, 0), EFAULT);
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 5, &bad, NULL, 0), EINVAL);            // tv_nsec too big
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 5, (void *)8, NULL, 0), EFAULT);
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 5, &ts, NULL, 0), ETIMEDOUT);
  EXPECT_ERR(futex(&w, 77, 5, NULL, NULL, 0), ENOSYS);                    // no such op
  EXPECT_ERR(futex(&w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
  EXPECT_ERR(futex(&w, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0), EINVAL);     // empty bitset
  EXPECT_ERR(futex(&w, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
  EXPECT_ERR(futex(&w, FUTEX_CMP_REQUEUE, 1, (void *)1, &w, 4), EAGAIN);
  EXPECT_ERR(futex(&w, FUTEX_CMP_REQUEUE, -1, (void *)1, &w, 5), EINVAL);
  EXPECT_ERR(futex(&w, FUTEX_WAKE_OP, 1, (void *)1, (uint32_t *)8, 0), EFAULT);
  EXPECT_ERR(futex(&w, FUTEX_WAKE_OP, 1, (void *)1, &w, 7u << 28), ENOSYS);
  EXPECT_EQ(futex(&w, FUTEX_WAKE, 1, NULL, NULL, 0), 0);                 // nobody waits
  EXPECT_EQ(futex((uint32_t *)8, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
}

// The time on clock ms from now (an absolute timeout).
static struct timespec ms_from_now(clockid_t clock, long ms) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_nsec += ms * 1000000;
  t.tv_sec += t.tv_nsec / 1000000000;
  t.tv_nsec %= 1000000000;
  return t;
}

// Timeouts: relative for FUTEX_WAIT, absolute for FUTEX_WAIT_BITSET on either clock.
static void t_futex_timeouts(void) {
  static uint32_t w;
  struct timespec rel = {0, 30000000}, abs;
  long t0 = now_ms();
  EXPECT_ERR(futex(&w, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT);
  CHECK(now_ms() - t0 >= 30);
  abs = ms_from_now(CLOCK_MONOTONIC, 30);
  t0 = now_ms();
  EXPECT_ERR(futex(&w, FUTEX_WAIT_BITSET, 0, &abs, NULL, ~0u), ETIMEDOUT);
  CHECK(now_ms() - t0 >= 25);
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_sec -= 1; // in the past
  EXPECT_ERR(futex(&w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, ~0u), ETIMEDOUT);
  abs = ms_from_now(CLOCK_REALTIME, 30);
  t0 = now_ms();
  EXPECT_ERR(futex(&w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, ~0u), ETIMEDOUT);
  CHECK(now_ms() - t0 >= 20);
}

static uint32_t fw1, fw2;
static _Atomic int fresults[8], fstarted;

struct waitspec {
  uint32_t *addr;
  int op;
  uint32_t bitset;
  int slot;
};

static void *futex_waiter(void *arg) {
  struct waitspec *w = arg;
  fstarted++;
  long r = futex(w->addr, w->op, 0, NULL, NULL, w->bitset);
  fresults[w->slot] = r == 0 ? 1 : -errno;
  return NULL;
}

static pthread_t start_waiter(struct waitspec *w) {
  pthread_t th;
  int before = fstarted;
  CHECK_EQ(pthread_create(&th, NULL, futex_waiter, w), 0);
  while (fstarted == before)
    sleep_ms(1);
  sleep_ms(10); // (it is in the wait by now)
  return th;
}

static int count_woken(int n) {
  int k = 0;
  for (int i = 0; i < n; i++)
    k += fresults[i] == 1;
  return k;
}

static void start_waiters(struct waitspec *w, pthread_t *th, int n) {
  for (int i = 0; i < n; i++)
    th[i] = start_waiter(&w[i]);
}

// Join the n waiters: all were woken.
static void join_woken(pthread_t *th, int n) {
  for (int i = 0; i < n; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(count_woken(n), n);
}

static void t_futex_wait_wake(void) {
  struct waitspec w[3] = {{&fw1, FUTEX_WAIT, 0, 0}, {&fw1, FUTEX_WAIT_PRIVATE, 0, 1},
                          {&fw1, FUTEX_WAIT, 0, 2}};
  pthread_t th[3];
  start_waiters(w, th, 3);
  CHECK_EQ(count_woken(3), 0);
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE, 2, NULL, NULL, 0), 2);
  sleep_ms(10);
  CHECK_EQ(count_woken(3), 2);
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1);
  join_woken(th, 3);
}

static void t_futex_bitset(void) {
  struct waitspec w[2] = {{&fw1, FUTEX_WAIT_BITSET, 1, 0}, {&fw1, FUTEX_WAIT_BITSET, 2, 1}};
  pthread_t a = start_waiter(&w[0]), b = start_waiter(&w[1]);
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE_BITSET, 10, NULL, NULL, 4), 0); // neither matches
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE_BITSET, 10, NULL, NULL, 2), 1);
  pthread_join(b, NULL);
  CHECK_EQ(fresults[1], 1);
  CHECK_EQ(fresults[0], 0);
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE, 10, NULL, NULL, 0), 1);         // WAKE matches any
  pthread_join(a, NULL);
}

static void t_futex_requeue(void) {
  struct waitspec w[3] = {{&fw1, FUTEX_WAIT, 0, 0}, {&fw1, FUTEX_WAIT, 0, 1},
                          {&fw1, FUTEX_WAIT, 0, 2}};
  pthread_t th[3];
  start_waiters(w, th, 3);
  // Wake one, move one to fw2: the third stays on fw1. (Linux counts both.)
  EXPECT_EQ(futex(&fw1, FUTEX_REQUEUE, 1, (void *)1, &fw2, 0), 2);
  sleep_ms(10);
  CHECK_EQ(count_woken(3), 1);
  EXPECT_EQ(futex(&fw2, FUTEX_WAKE, 10, NULL, NULL, 0), 1);
  sleep_ms(10);
  CHECK_EQ(count_woken(3), 2);
  // CMP_REQUEUE counts woken plus moved.
  EXPECT_EQ(futex(&fw1, FUTEX_CMP_REQUEUE, 0, (void *)5, &fw2, 0), 1);
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE, 10, NULL, NULL, 0), 0);
  EXPECT_EQ(futex(&fw2, FUTEX_WAKE, 10, NULL, NULL, 0), 1);
  join_woken(th, 3);
}

static void t_futex_wake_op(void) {
  struct waitspec w[2] = {{&fw1, FUTEX_WAIT, 0, 0}, {&fw2, FUTEX_WAIT, 0, 1}};
  pthread_t a = start_waiter(&w[0]), b = start_waiter(&w[1]);
  // *fw2 += 1 (old 0); wake 1 on fw1; old == 0, so wake 1 on fw2 too.
  uint32_t op = (1u << 28) | (0u << 24) | (1u << 12) | 0;
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE_OP, 1, (void *)1, &fw2, op), 2);
  CHECK_EQ(fw2, 1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK_EQ(count_woken(2), 2);
  // SET with OPARG_SHIFT: *fw2 = 1 << 4; the comparison (old 1 > 5) fails: nothing more.
  op = (8u << 28) | (4u << 24) | (4u << 12) | 5;
  EXPECT_EQ(futex(&fw1, FUTEX_WAKE_OP, 1, (void *)1, &fw2, op), 0);
  CHECK_EQ(fw2, 16);
}

static void on_usr2(int sig) { (void)sig; }

// A child that sends this process sig after ms, then (if sig2) sig2 after ms2 more.
static pid_t signal_me_later(long ms, int sig, long ms2, int sig2) {
  pid_t me = getpid(), k = OK(fork());
  if (k == 0) {
    sleep_ms(ms);
    kill(me, sig);
    if (sig2) {
      sleep_ms(ms2);
      kill(me, sig2);
    }
    _exit(0);
  }
  return k;
}

// A signal with a handler interrupts FUTEX_WAIT with EINTR.
static void t_futex_eintr(void) {
  struct sigaction sa = {.sa_handler = on_usr2};
  sigaction(SIGUSR2, &sa, NULL);
  pid_t k = signal_me_later(30, SIGUSR2, 0, 0);
  static uint32_t w;
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 0, NULL, NULL, 0), EINTR);
  waitpid(k, NULL, 0);
}

// A timed FUTEX_WAIT stopped and continued (no handler runs) goes on to its first
// deadline, not a new one (Linux's restart block).
static void t_futex_restart_deadline(void) {
  pid_t k = signal_me_later(100, SIGSTOP, 300, SIGCONT);
  static uint32_t w;
  struct timespec rel = {0, 600000000};
  long t0 = now_ms();
  EXPECT_ERR(futex(&w, FUTEX_WAIT, 0, &rel, NULL, 0), ETIMEDOUT);
  long took = now_ms() - t0;
  ctx("took %ld ms", took);
  CHECK(took >= 600 && took < 900); // a fresh timeout after the stop would end past 1000
  waitpid(k, NULL, 0);
}

// CLONE_CHILD_CLEARTID: the exiting thread's tid word becomes 0 and a waiter wakes.
static void t_cleartid_wake(void) {
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, pc_plus_one, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0); // musl's join waits on exactly that word
}

// The kernel's side alone: a list with one held lock, walked at thread death.
static struct { uint64_t next; int64_t off; uint64_t pending; } rhead;
static struct { uint64_t next; uint32_t lock; } rentry;
static void *robust_raw(void *arg) {
  (void)arg;
  rhead.next = (uint64_t)&rentry;
  rhead.off = 8;
  rentry.next = (uint64_t)&rhead;
  rentry.lock = sc(SYS_gettid) | FUTEX_WAITERS;
  sc(SYS_set_robust_list, &rhead, 24);
  uint64_t h, len;
  sc(SYS_get_robust_list, 0, &h, &len);
  if (h != (uint64_t)&rhead || len != 24)
    return (void *)1;
  sc(SYS_exit, 0); // (not musl's pthread_exit, which would unlock nothing but does its own list)
  return NULL;
}

static void t_robust_list(void) {
  EXPECT_ERR(sc(SYS_set_robust_list, &rhead, 23), EINVAL);
  EXPECT_ERR(sc(SYS_get_robust_list, 0, NULL, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_get_robust_list, 999999, NULL, NULL), ESRCH);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, robust_raw, NULL), 0);
  for (int i = 0; i < 500 && !(rentry.lock & FUTEX_OWNER_DIED); i++)
    sleep_ms(2);
  CHECK_EQ(rentry.lock, FUTEX_OWNER_DIED | FUTEX_WAITERS);
}

// ---- PI futexes: the word holds the owner's tid ----
static uint32_t pw;
static long my_tid(void) { return sc(SYS_gettid); }
static long lock_pi(uint32_t *w, const struct timespec *t) { return futex(w, FUTEX_LOCK_PI, 0, t, NULL, 0); }
static long unlock_pi(uint32_t *w) { return futex(w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0); }

// The uncontended cases and every error Linux gives.
static void t_futex_pi_errors(void) {
  uint32_t tid = my_tid();
  pw = 0;
  EXPECT_EQ(lock_pi(&pw, NULL), 0);
  CHECK_EQ(pw, tid);
  EXPECT_ERR(lock_pi(&pw, NULL), EDEADLK);                            // already ours
  EXPECT_ERR(futex(&pw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK);
  EXPECT_ERR(futex(&pw, FUTEX_WAIT, tid + 1, NULL, NULL, 0), EAGAIN); // (plain ops still read it)
  EXPECT_EQ(unlock_pi(&pw), 0);
  CHECK_EQ(pw, 0);
  EXPECT_ERR(unlock_pi(&pw), EPERM);                                  // not ours
  pw = 0x3ffffff0;                                                    // no such thread
  EXPECT_ERR(lock_pi(&pw, NULL), ESRCH);
  EXPECT_ERR(futex(&pw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), ESRCH);
  EXPECT_ERR(unlock_pi(&pw), EPERM);
  CHECK_EQ(pw, 0x3ffffff0 | FUTEX_WAITERS); // (Linux sets the bit before it looks for the owner)
  pw = FUTEX_OWNER_DIED;                                              // free, its owner died
  EXPECT_EQ(futex(&pw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), 0);
  CHECK_EQ(pw, FUTEX_OWNER_DIED | tid);
  EXPECT_EQ(unlock_pi(&pw), 0);
  CHECK_EQ(pw, 0);
  EXPECT_EQ(futex(&pw, FUTEX_LOCK_PI2, 0, NULL, NULL, 0), 0);
  EXPECT_EQ(unlock_pi(&pw), 0);
  EXPECT_ERR(futex((uint32_t *)((char *)&pw + 2), FUTEX_LOCK_PI, 0, NULL, NULL, 0), EINVAL);
  EXPECT_ERR(futex((uint32_t *)8, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EFAULT);
  EXPECT_ERR(futex((uint32_t *)8, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EFAULT);
  EXPECT_ERR(futex(&pw, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0), ENOSYS);
  static const uint32_t ro = 0;                                        // read-only: no lock
  EXPECT_ERR(futex((uint32_t *)&ro, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EFAULT);
}

// A contended lock: the waiter sets FUTEX_WAITERS, sleeps, and is handed the lock by
// the unlock (the word names it, with FUTEX_WAITERS as Linux leaves it).
static _Atomic long pi_state, pi_got, pi_tid;
static void *pi_locker(void *arg) {
  pi_tid = my_tid();
  pi_state = 1;
  long r = futex(&pw, arg ? FUTEX_LOCK_PI2 : FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  pi_got = r == 0 ? (long)pw : -errno;
  if (r == 0)
    unlock_pi(&pw);
  return NULL;
}

static void pi_contend(void *how) {
  uint32_t tid = my_tid();
  pthread_t th;
  pw = 0;
  pi_state = pi_got = 0;
  EXPECT_EQ(lock_pi(&pw, NULL), 0);
  CHECK_EQ(pthread_create(&th, NULL, pi_locker, how), 0);
  for (int i = 0; i < 500 && !(pw & FUTEX_WAITERS); i++)
    sleep_ms(2);
  CHECK_EQ(pw, tid | FUTEX_WAITERS);
  EXPECT_ERR(futex(&pw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK);
  EXPECT_ERR(futex(&pw, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);       // PI waiters are not woken
  CHECK_EQ(pi_got, 0);
  EXPECT_EQ(unlock_pi(&pw), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(pi_got, (long)(pi_tid | FUTEX_WAITERS));
  CHECK_EQ(pw, 0);                                                     // its unlock, no waiters
}
static void t_futex_pi_handover(void) {
  pi_contend(NULL);
  pi_contend((void *)1); // FUTEX_LOCK_PI2
}

// Another thread holds the lock: TRYLOCK_PI fails with EAGAIN; LOCK_PI's timeout is
// absolute on CLOCK_REALTIME, LOCK_PI2's on CLOCK_MONOTONIC (or REALTIME with the flag).
static void *pi_hold(void *arg) {
  (void)arg;
  pi_tid = my_tid();
  lock_pi(&pw, NULL);
  pi_state = 1;
  while (pi_state != 2)
    sleep_ms(1);
  unlock_pi(&pw);
  return NULL;
}

static void t_futex_pi_timeout(void) {
  pthread_t th;
  struct timespec at;
  pw = 0;
  pi_state = 0;
  CHECK_EQ(pthread_create(&th, NULL, pi_hold, NULL), 0);
  while (pi_state != 1)
    sleep_ms(1);
  EXPECT_ERR(futex(&pw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EAGAIN);
  CHECK_EQ(pw & FUTEX_TID_MASK, pi_tid);
  at = ms_from_now(CLOCK_REALTIME, 30);
  long t0 = now_ms();
  EXPECT_ERR(lock_pi(&pw, &at), ETIMEDOUT);
  CHECK(now_ms() - t0 >= 20);
  at = ms_from_now(CLOCK_MONOTONIC, 30);
  t0 = now_ms();
  EXPECT_ERR(futex(&pw, FUTEX_LOCK_PI2, 0, &at, NULL, 0), ETIMEDOUT);
  CHECK(now_ms() - t0 >= 20);
  struct timespec bad = {0, 1000000000};
  EXPECT_ERR(lock_pi(&pw, &bad), EINVAL);
  CHECK_EQ(pw & FUTEX_TID_MASK, pi_tid);                               // still the holder's
  pi_state = 2;
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(pw, 0);
}

// The owner dies holding the lock: the waiter is handed it, with FUTEX_OWNER_DIED set
// (Linux sets it whether or not the lock was on the dead thread's robust list).
static struct { uint64_t next; int64_t off; uint64_t pending; } pihead;
static struct { uint64_t next; uint32_t lock; } pientry;
static void *pi_die_holding(void *arg) {
  pi_tid = my_tid();
  if (arg) {
    pihead.next = (uint64_t)&pientry | 1; // (bit 0: a PI lock)
    pihead.off = 8;
    pientry.next = (uint64_t)&pihead;
    sc(SYS_set_robust_list, &pihead, 24);
  }
  lock_pi(&pientry.lock, NULL);
  pi_state = 1;
  while (!(pientry.lock & FUTEX_WAITERS))
    sleep_ms(1);
  sc(SYS_exit, 0); // (raw: musl's exit would do its own robust-list walk)
  return NULL;
}

static void pi_owner_dies(bool robust) {
  pthread_t th;
  pientry.lock = 0;
  pi_state = 0;
  CHECK_EQ(pthread_create(&th, NULL, pi_die_holding, (void *)(intptr_t)robust), 0);
  while (pi_state != 1)
    sleep_ms(1);
  EXPECT_EQ(lock_pi(&pientry.lock, NULL), 0);
  uint32_t w = pientry.lock;
  CHECK_EQ(w & FUTEX_TID_MASK, my_tid());
  CHECK(w & FUTEX_OWNER_DIED);
  EXPECT_EQ(unlock_pi(&pientry.lock), 0);
  // (no pthread_join: the raw exit left musl's record of the thread as it was)
}
static void t_futex_pi_owner_dies(void) {
  pi_owner_dies(false);
  pi_owner_dies(true);
}

// ---- futexes in shared memory: one word, two processes, each its own mapping ----
// A child waits (op) on the word its map() gives; the parent wakes it (wake_op) through
// its own mapping. Returns how many the parent's wake woke, the child's wait result in
// *child_r (0 woken, else errno; 99 if the parent's late wake was what ended it).
static uint32_t *shared_flag; // (MAP_SHARED: the child says it is about to wait)
static long wake_other_process(uint32_t *word, uint32_t *(*map)(void), int op, int wake_op,
                               int *child_r) {
  *shared_flag = 0;
  *word = 0;
  long pid = OK(xfork());
  if (pid == 0) {
    uint32_t *w = map ? map() : word;
    *shared_flag = 1;
    long r = futex(w, op, 0, NULL, NULL, ~0u);
    _exit(r == 0 ? (*w == 1 ? 0 : 98) : errno);
  }
  while (!*shared_flag)
    sleep_ms(1);
  sleep_ms(20); // (in its wait by now)
  *word = 1;
  long woke = futex(word, wake_op, 1, NULL, NULL, 0);
  if (woke == 0) { // it still waits: end it with a matching wake, to report
    sleep_ms(20);
    futex(word, op & FUTEX_PRIVATE_FLAG ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    kill(pid, SIGKILL);
  }
  int st = wait_for(pid);
  *child_r = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
  return woke;
}

static uint32_t *map_shared_anon(void) {
  return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

static void t_futex_shared_anon(void) {
  shared_flag = map_shared_anon();
  uint32_t *word = map_shared_anon() + 5;
  int r;
  EXPECT_EQ(wake_other_process(word, NULL, FUTEX_WAIT, FUTEX_WAKE, &r), 1);
  CHECK_EQ(r, 0);
  EXPECT_EQ(wake_other_process(word, NULL, FUTEX_WAIT_BITSET, FUTEX_WAKE, &r), 1);
  CHECK_EQ(r, 0);
  // Private ops name the word by (process, address): the other process is not woken.
  EXPECT_EQ(wake_other_process(word, NULL, FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE, &r), 0);
  EXPECT_EQ(wake_other_process(word, NULL, FUTEX_WAIT, FUTEX_WAKE_PRIVATE, &r), 0);
}

static int shm_id;
static uint32_t *attach_shm(void) { return (uint32_t *)shmat(shm_id, NULL, 0) + 3; }

static void t_futex_shared_shm(void) {
  shared_flag = map_shared_anon();
  shm_id = OK(shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600));
  uint32_t *word = attach_shm();
  int r;
  // The child attaches the segment again: the word at another address, the same frame.
  EXPECT_EQ(wake_other_process(word, attach_shm, FUTEX_WAIT, FUTEX_WAKE, &r), 1);
  CHECK_EQ(r, 0);
  CHECK(attach_shm() != word);
  shmctl(shm_id, IPC_RMID, NULL);
}

static int shared_fd;
static uint32_t *map_file(void) {
  return (uint32_t *)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0) + 9;
}

static void t_futex_shared_file(void) {
  shared_flag = map_shared_anon();
  char path[] = "/tmp/futexfileXXXXXX";
  shared_fd = OK(mkstemp(path));
  unlink(path);
  OK(ftruncate(shared_fd, 4096));
  uint32_t *word = map_file();
  int r;
  EXPECT_EQ(wake_other_process(word, map_file, FUTEX_WAIT, FUTEX_WAKE, &r), 1);
  CHECK_EQ(r, 0);
  // The parent's second mapping of the file: another address, the same futex.
  uint32_t *again = map_file();
  CHECK(again != word);
  EXPECT_EQ(wake_other_process(word, NULL, FUTEX_WAIT, FUTEX_WAKE, &r), 1);
  close(shared_fd);
}

// A waiter keeps its word's frame: unmapping every mapping of it while the child waits
// cannot hand the frame to someone else's futex (the child is then woken by nobody, and
// killed).
static void t_futex_shared_unmapped(void) {
  uint32_t *word = map_shared_anon();
  shared_flag = map_shared_anon();
  *shared_flag = 0;
  long pid = OK(xfork());
  if (pid == 0) {
    *shared_flag = 1;
    futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(1);
  }
  while (!*shared_flag)
    sleep_ms(1);
  sleep_ms(20);
  munmap(word, 4096);
  for (int i = 0; i < 20; i++) { // new shared pages: none is the waiter's
    uint32_t *w = map_shared_anon();
    EXPECT_EQ(futex(w, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
  }
  kill(pid, SIGKILL);
  EXPECT_KILLED(wait_for(pid), SIGKILL);
}

// ---- the table and the runner ----
static void *nap(void *arg) {
  sleep_ms((long)(intptr_t)arg);
  return NULL;
}

static int helper_mode(int argc, char **argv) {
  g_argv = argv;
  if (argc == 3 && strcmp(argv[1], "--threads-sleep") == 0) { // (tests/guest/strace.sh)
    pthread_t a, b;
    intptr_t ms = atol(argv[2]);
    pthread_create(&a, NULL, nap, (void *)ms);
    pthread_create(&b, NULL, nap, (void *)ms);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--report-pid") == 0) {
    printf("%ld %ld\n", (long)getpid(), sc(SYS_gettid));
    return 0;
  }
  return -1;
}

static const struct ut_test tests[] = {
    UT(join_values), UT(mutex_counter), UT(condvar_pingpong), UT(tls), UT(ids),
    UT(shared_state), UT(shared_creds), UT(cancel), UT(kill_unblocked_thread), UT(pthread_kill_target),
    UT(group_stop), UT(fatal_signal_ends_group), UT(exit_group_from_thread), UT(leader_exits_first),
    UT(execve_from_thread), UT(fork_from_thread), UT(thread_bomb), UT(wait_sees_group),
    UT(waitid_sees_group), UT(process_wide_state), UT(locks_are_the_process), UT(timer_thread_id),
    UT(clone_bad_flags), UT(clone3_fork), UT(clone_bad_stack),
    UT(futex_errors), UT(futex_timeouts), UT(futex_wait_wake), UT(futex_bitset),
    UT(futex_requeue), UT(futex_wake_op), UT(futex_eintr), UT(futex_restart_deadline), UT(cleartid_wake),
    UT(robust_mutex), UT(robust_list),
    // PI futexes, futexes in shared memory; PI and process-shared mutexes
    UT(futex_pi_errors), UT(futex_pi_handover), UT(futex_pi_timeout), UT(futex_pi_owner_dies),
    UT(futex_shared_anon), UT(futex_shared_shm), UT(futex_shared_file), UT(futex_shared_unmapped),
    UT(pi_mutex), UT(pshared_mutex),
};

// The runner forks each test with a raw system call, behind musl's back: musl's record
// of the thread (its tid, for pthread_kill and pthread_cancel) would be the runner's.
// So the test runs one fork further, made by musl's fork(), and this process passes its
// end on (an exit status as it is, a signal by dying of it).
static void musl_fork(const struct ut_test *t) {
  (void)t;
  pid_t pid = fork();
  if (pid < 0)
    fail_at(__LINE__, "fork: errno %d", errno);
  if (pid == 0) {
    g_test_pid = getpid();
    return;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(st)) {
    signal(WTERMSIG(st), SIG_DFL);
    raise(WTERMSIG(st));
  }
  _exit(WEXITSTATUS(st));
}

int main(int argc, char **argv) {
  int code = helper_mode(argc, argv);
  if (code >= 0)
    return code;
  ut_setup(argv[0], "/tests/threadtests");
  static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests),
                                        .deadline_ms = 20000, .own_group = true,
                                        .setup = musl_fork};
  return ut_main(&suite, argc, argv);
}
