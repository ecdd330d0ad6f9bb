// posixtests: Vitrine's in-guest tests of processes, signals, descriptors and users.
//
// Each test is a function in the table at the end of the file, run by the shared
// runner (user/lib/utest.h): one child per test, in a process group of its own, and
// whatever is left in that group when the test ends (say a child blocked forever after
// a failed check) is killed with SIGKILL. The last line is always "N passed, N
// failed"; the exit status is 1 if anything failed.
//
//   posixtests            run every test
//   posixtests NAME...    run only the named tests
//   posixtests -l         list the tests
//
// The reference is Linux: every test passes on the host when the binary (musl-gcc
// -static) runs there as root. Where Vitrine sets a rule of its own (a corrupt signal
// frame kills with SIGSEGV; an orphan's parent is pid 1), the exact check is gated on
// uname's sysname being "Vitrine" and the host only gets the weaker, portable check.
//
// A few tests need a file the initramfs may or may not have (/bin/echo for the #!
// test, /tests/setuid-probe for the set-user-id test); without it the test is not
// registered at all: it is neither run, listed nor counted.
//
// No alarm() anywhere: timer signals may not exist yet. A test that needs a signal to
// arrive "later" forks a child that sleeps and sends it. All output goes through
// write(2), never buffered stdio, so nothing is printed twice by a forked child.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "utest.h"

#define EXEC_FAILED 100 // a child whose execve failed exits EXEC_FAILED + errno
#define SURVIVED 55     // exit code of a child that outlived what should kill it

// Linux ABI numbers that musl's headers do not carry (or carry under other names).
#define SA_RESTORER_ 0x04000000UL
#define PR_SET_NAME_ 15
#define PR_GET_NAME_ 16
#define RSEQ_SIG 0x53053053
#define RSEQ_FLAG_UNREGISTER 1
#define DF_FLAG 0x400UL // rflags.DF, the string direction flag

static char *g_noenv[] = {NULL};

// ---------------------------------------------------------------------------------
// Process helpers

static void pause_forever(void) {
  for (;;)
    sc(SYS_pause);
}

// A child that does nothing until it is killed.
static long idle_child(void) {
  long pid = xfork();
  if (pid == 0)
    pause_forever();
  return pid;
}

static void kill_and_reap(long pid) {
  OK(sc(SYS_kill, pid, SIGKILL));
  EXPECT_KILLED(wait_for(pid), SIGKILL);
}

// A child that sleeps ms then sends sig to pid and exits; reap it with wait_for.
static long signal_later(long pid, int sig, long ms) {
  long c = xfork();
  if (c == 0) {
    sleep_ms(ms);
    sc(SYS_kill, pid, sig);
    _exit(0);
  }
  return c;
}

static void xpipe(int p[2]) { OK(sc(SYS_pipe2, p, 0)); }
static void xclose(int fd) { OK(sc(SYS_close, fd)); }

// Read until EOF or n bytes; returns the count.
static size_t read_full(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    long r = sc(SYS_read, fd, buf + got, n - got);
    if (r == -1 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += r;
  }
  return got;
}

// One byte through a pipe: the simplest way for two processes to take turns.
static void send_byte(int fd, char c) { CHECK(sc(SYS_write, fd, &c, 1) == 1); }
static char recv_byte(int fd) {
  char c = 0;
  CHECK(read_full(fd, &c, 1) == 1);
  return c;
}

// Run argv with its stdout captured into out (NUL-terminated); returns the status.
static int run_capture(char *const argv[], char *out, size_t n) {
  int p[2];
  OK(sc(SYS_pipe2, p, O_CLOEXEC));
  long pid = xfork();
  if (pid == 0) {
    sc(SYS_dup2, p[1], 1); // dup2 clears FD_CLOEXEC on the copy
    sc(SYS_execve, argv[0], argv, g_noenv);
    _exit(EXEC_FAILED + errno);
  }
  xclose(p[1]);
  size_t got = read_full(p[0], out, n - 1);
  out[got] = 0;
  xclose(p[0]);
  return wait_for(pid);
}

static int exec_self_status(char *const argv[]) {
  long pid = xfork();
  if (pid == 0) {
    sc(SYS_execve, g_self, argv, g_noenv);
    _exit(EXEC_FAILED + errno);
  }
  return wait_for(pid);
}

// A path in /tmp private to this process; the caller removes what it creates.
static const char *tmp_path(const char *what) {
  static char b[4][96];
  static int next;
  char *p = b[next++ % 4];
  snprintf(p, sizeof b[0], "/tmp/posixtests.%ld.%s", sc(SYS_getpid), what);
  return p;
}

static void write_file(const char *path, const char *text, int mode) {
  int fd = OK(sc(SYS_open, path, O_WRONLY | O_CREAT | O_TRUNC, mode));
  CHECK(sc(SYS_write, fd, text, strlen(text)) == (long)strlen(text));
  xclose(fd);
  OK(sc(SYS_chmod, path, mode)); // whatever the umask took away
}

static int is_root(void) { return sc(SYS_geteuid) == 0 && sc(SYS_getuid) == 0; }

static void need_root(void) {
  if (!is_root())
    fail_at(__LINE__, "this test must run as root");
}

// ---------------------------------------------------------------------------------
// Signal helpers. Actions are installed with the raw rt_sigaction and our own
// restorer, so what is tested is the kernel's signal frame, not musl's wrappers.

struct ksigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

void sig_restorer(void);
__asm__(".text\n"
        ".globl sig_restorer\n"
        ".type sig_restorer, @function\n"
        "sig_restorer:\n"
        "  mov $15, %eax\n" // rt_sigreturn
        "  syscall\n"
        "  ud2\n");

static uint64_t bit(int sig) { return 1ULL << (sig - 1); }

static void set_action(int sig, void *handler, unsigned long flags, uint64_t mask) {
  struct ksigaction sa = {handler, flags | SA_RESTORER_, sig_restorer, mask};
  OK(sc(SYS_rt_sigaction, sig, &sa, NULL, 8));
}

static struct ksigaction get_action(int sig) {
  struct ksigaction sa;
  memset(&sa, 0x5a, sizeof sa);
  OK(sc(SYS_rt_sigaction, sig, NULL, &sa, 8));
  return sa;
}

static uint64_t change_mask(int how, uint64_t set) {
  uint64_t old = 0;
  OK(sc(SYS_rt_sigprocmask, how, &set, &old, 8));
  return old;
}

static uint64_t get_mask(void) {
  uint64_t m = 0;
  OK(sc(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8));
  return m;
}

static uint64_t get_pending(void) {
  uint64_t p = 0;
  OK(sc(SYS_rt_sigpending, &p, 8));
  return p;
}

static int kill_self(int sig) { return sc(SYS_kill, sc(SYS_getpid), sig); }

// What the handlers saw. Only the test's process (or a child) touches these.
static volatile int g_hits[65];
static volatile int g_order[16], g_norder;
static volatile int g_si_signo, g_si_code, g_si_pid, g_si_uid, g_si_status;
static volatile int g_handler_arg;

static void h_count(int sig) {
  g_handler_arg = sig;
  g_hits[sig]++;
  if (g_norder < 16)
    g_order[g_norder++] = sig;
}

static void h_info(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  g_si_signo = si->si_signo;
  g_si_code = si->si_code;
  g_si_pid = si->si_pid;
  g_si_uid = si->si_uid;
  g_si_status = si->si_status;
  g_hits[sig]++;
}

// ---------------------------------------------------------------------------------
// fork, vfork, clone

static int g_cow = 5;

static void t_fork(void) {
  long parent = sc(SYS_getpid);
  long pid = xfork();
  if (pid == 0) {
    CHECK(sc(SYS_getppid) == parent);
    CHECK(sc(SYS_getpid) != parent);
    g_cow = 6; // the child's own copy
    _exit(7);
  }
  CHECK(pid > 0 && pid != parent);
  EXPECT_EXIT(wait_for(pid), 7);
  CHECK(g_cow == 5);
}

// vfork: the child borrows the parent's memory and the parent is suspended until the
// child calls _exit or execve, so the child's store is visible when vfork returns.
static volatile int g_vfork_step;

static void t_vfork(void) {
  g_vfork_step = 0;
  long pid = vfork();
  if (pid == 0) {
    g_vfork_step = 1;
    _exit(3);
  }
  CHECK(pid > 0);
  CHECK(g_vfork_step == 1);
  EXPECT_EXIT(wait_for(pid), 3);
}

// After execve the parent runs again while the new program is still running.
static void t_vfork_exec(void) {
  static char *argv[] = {NULL, "--sleep-exit", "300", "4", NULL};
  argv[0] = (char *)g_self;
  g_vfork_step = 0;
  long pid = vfork();
  if (pid == 0) {
    g_vfork_step = 1;
    sc(SYS_execve, g_self, argv, g_noenv);
    _exit(127);
  }
  CHECK(g_vfork_step == 1);
  int st = 0;
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WNOHANG, NULL), 0); // resumed at execve, not exit
  EXPECT_EXIT(wait_for(pid), 4);
}

// A fork-like clone (no CLONE_VM) with every tid-reporting flag: the kernel writes
// the child's tid to ptid in the parent's memory and to ctid in the child's (copied)
// memory, not the other way round. What happens to ctid at exit is not checked here:
// Linux zeroes it only while another task shares the memory (see clone_vm_cleartid).
static void t_clone_tids(void) {
  static int ptid = -1, ctid = -1;
  long flags = SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
  long pid = OK(sc(SYS_clone, flags, 0, &ptid, &ctid, 0));
  if (pid == 0)
    _exit(ctid == sc(SYS_gettid) ? 0 : 1);
  CHECK(ptid == pid);
  CHECK(ctid == -1);
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(ctid == -1);
}

// clone_vm_child(flags, stack, ptid, ctid): clone, and in the child (which shares our
// memory and so may not return into C) exit with 0 if *ctid holds its tid, else 1.
long clone_vm_child(long flags, void *stack, int *ptid, volatile int *ctid);
__asm__(".text\n"
        ".globl clone_vm_child\n"
        ".type clone_vm_child, @function\n"
        "clone_vm_child:\n"
        "  mov %rcx, %r10\n" // the kernel takes ctid in r10
        "  mov %rcx, %r9\n"  // and the child keeps it in r9
        "  xor %r8d, %r8d\n" // no TLS
        "  mov $56, %eax\n"  // clone
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  mov $186, %eax\n" // gettid
        "  syscall\n"
        "  xor %edi, %edi\n"
        "  cmp (%r9), %eax\n"
        "  setne %dil\n"
        "  mov $60, %eax\n" // exit
        "  syscall\n"
        "  ud2\n"
        "1:\n"
        "  ret\n");

// A child sharing our memory (CLONE_VM) with the tid flags: ptid and ctid get its tid,
// and when it exits the kernel zeroes ctid (the wake-up for thread joins) before the
// parent can see it exit.
static void t_clone_vm_cleartid(void) {
  static int ptid = -1;
  static volatile int ctid = -1;
  void *stack = (void *)OK(sc(SYS_mmap, NULL, 65536, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  long flags = CLONE_VM | SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
               CLONE_PARENT_SETTID;
  long pid = clone_vm_child(flags, (char *)stack + 65536, &ptid, &ctid);
  CHECK(pid > 0);
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(ptid, pid);
  EXPECT_EQ(ctid, 0);
}

// ---------------------------------------------------------------------------------
// execve: #! scripts and close-on-exec

// Run path with argv (no environment) in a child whose output goes to out (n bytes at
// most, NUL-terminated); the child's wait status.
static int exec_output(const char *path, char *const argv[], char *out, size_t n) {
  int p[2];
  xpipe(p);
  long pid = xfork();
  if (pid == 0) {
    sc(SYS_dup2, p[1], 1);
    sc(SYS_execve, path, argv, g_noenv);
    _exit(EXEC_FAILED + errno);
  }
  xclose(p[1]);
  out[read_full(p[0], out, n - 1)] = 0;
  xclose(p[0]);
  return wait_for(pid);
}

// The script's interpreter line is "#!<this binary> --argv-dump  x  y " so the
// interpreter is this program, which prints its argv one per line. Linux passes the
// interpreter, then everything after it on the line as one argument (inner blanks
// kept, trailing blanks dropped), then the script's path as given to execve, then the
// original arguments after argv[0].
static void t_exec_shebang(void) {
  const char *path = tmp_path("script");
  char text[300], want[600], out[600];
  snprintf(text, sizeof text, "#!%s --argv-dump  x  y \nignored\n", g_self);
  write_file(path, text, 0755);
  char *argv[] = {"not-the-name", "a1", "", "b c", NULL};
  int st = exec_output(path, argv, out, sizeof out);
  sc(SYS_unlink, path);
  EXPECT_EXIT(st, 0);
  snprintf(want, sizeof want, "%s\n--argv-dump  x  y\n%s\na1\n\nb c\n", g_self, path);
  if (strcmp(out, want) != 0)
    fail_at(__LINE__, "interpreter got argv [%s], want [%s]", out, want);
}

// The same with a system interpreter: "#!/bin/echo hello" prints
// "hello <script> <args>". Registered only where /bin/echo exists.
static void t_exec_shebang_echo(void) {
  const char *path = tmp_path("echo");
  char out[300], want[300];
  write_file(path, "#!/bin/echo hello\n", 0755);
  char *argv[] = {"x", "a1", "a2", NULL};
  int st = exec_output(path, argv, out, sizeof out);
  sc(SYS_unlink, path);
  EXPECT_EXIT(st, 0);
  snprintf(want, sizeof want, "hello %s a1 a2\n", path);
  if (strcmp(out, want) != 0)
    fail_at(__LINE__, "got [%s], want [%s]", out, want);
}

static void t_exec_script_errors(void) {
  const char *path = tmp_path("bad");
  char *argv[] = {(char *)path, NULL};
  write_file(path, "#!/no/such/interpreter\n", 0755);
  EXPECT_ERR(sc(SYS_execve, path, argv, g_noenv), ENOENT);
  write_file(path, "just text, neither ELF nor #!\n", 0755);
  EXPECT_ERR(sc(SYS_execve, path, argv, g_noenv), ENOEXEC);
  write_file(path, "#!/bin/sh\n", 0644); // no x bit: refused even to root
  EXPECT_ERR(sc(SYS_execve, path, argv, g_noenv), EACCES);
  OK(sc(SYS_unlink, path));
}

static char *num(char *buf, long v) {
  sprintf(buf, "%ld", v);
  return buf;
}

// Close-on-exec however it was set: O_CLOEXEC, pipe2, dup3, F_SETFD, F_DUPFD_CLOEXEC.
// The flag belongs to the descriptor, so dup() of a close-on-exec fd is kept.
static void t_exec_cloexec(void) {
  int keep = OK(sc(SYS_open, g_self, O_RDONLY, 0));
  int cl = OK(sc(SYS_open, g_self, O_RDONLY | O_CLOEXEC, 0));
  int kept_dup = OK(sc(SYS_dup, cl));
  int p[2];
  OK(sc(SYS_pipe2, p, O_CLOEXEC));
  int d3 = OK(sc(SYS_dup3, keep, 40, O_CLOEXEC));
  int sfd = OK(sc(SYS_dup, keep));
  OK(sc(SYS_fcntl, sfd, F_SETFD, FD_CLOEXEC));
  int dfc = OK(sc(SYS_fcntl, keep, F_DUPFD_CLOEXEC, 50));
  char b[9][16];
  char *argv[] = {(char *)g_self, "--fds", num(b[0], keep), num(b[1], kept_dup), "-",
                  num(b[2], cl), num(b[3], p[0]), num(b[4], p[1]), num(b[5], d3),
                  num(b[6], sfd), num(b[7], dfc), NULL};
  EXPECT_EXIT(exec_self_status(argv), 0);
}

// The name (comm) set by PR_SET_NAME is inherited by fork and replaced by execve with
// the program file's base name.
static void t_prctl_name(void) {
  char name[32] = {0};
  OK(sc(SYS_prctl, PR_SET_NAME_, "posix-name", 0, 0, 0));
  OK(sc(SYS_prctl, PR_GET_NAME_, name, 0, 0, 0));
  CHECK(strcmp(name, "posix-name") == 0);
  OK(sc(SYS_prctl, PR_SET_NAME_, "0123456789abcdefghij", 0, 0, 0));
  OK(sc(SYS_prctl, PR_GET_NAME_, name, 0, 0, 0));
  CHECK(strcmp(name, "0123456789abcde") == 0); // 15 bytes and the NUL
  long pid = xfork();
  if (pid == 0) {
    char n2[32] = {0};
    OK(sc(SYS_prctl, PR_GET_NAME_, n2, 0, 0, 0));
    _exit(strcmp(n2, "0123456789abcde") == 0 ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  char out[64], want[32];
  char *argv[] = {(char *)g_self, "--comm", NULL};
  EXPECT_EXIT(run_capture(argv, out, sizeof out), 0);
  const char *base = strrchr(g_self, '/') + 1;
  snprintf(want, sizeof want, "%.15s\n", base);
  if (strcmp(out, want) != 0)
    fail_at(__LINE__, "name after execve [%s], want [%s]", out, want);
}

// ---------------------------------------------------------------------------------
// wait4 and the wait status encodings

static void t_wait_exit_status(void) {
  long pid = xfork();
  if (pid == 0)
    _exit(0x2a);
  EXPECT_EQ(wait_for(pid), 0x2a00);
  pid = xfork();
  if (pid == 0)
    sc(SYS_exit_group, 0x103); // only the low 8 bits are kept
  EXPECT_EQ(wait_for(pid), 0x0300);
}

static void t_wait_signal_status(void) {
  long pid = xfork();
  if (pid == 0) {
    kill_self(SIGTERM);
    _exit(SURVIVED);
  }
  EXPECT_EQ(wait_for(pid), SIGTERM); // no core dump for SIGTERM: exactly 15
  pid = idle_child();
  OK(sc(SYS_kill, pid, SIGKILL));
  EXPECT_EQ(wait_for(pid), SIGKILL);
}

// Stopped is (sig << 8) | 0x7f, reported once and only with WUNTRACED; continued is
// 0xffff, reported only with WCONTINUED; SIGKILL ends a stopped process.
static void t_wait_stop_cont(void) {
  long pid = idle_child();
  int st = 0;
  OK(sc(SYS_kill, pid, SIGSTOP));
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WUNTRACED, NULL), pid);
  EXPECT_EQ(st, 0x137f);
  CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WNOHANG | WUNTRACED, NULL), 0); // already reported
  OK(sc(SYS_kill, pid, SIGCONT));
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WCONTINUED, NULL), pid);
  EXPECT_EQ(st, 0xffff);
  CHECK(WIFCONTINUED(st));
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WNOHANG | WCONTINUED, NULL), 0);
  OK(sc(SYS_kill, pid, SIGSTOP));
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WUNTRACED, NULL), pid);
  EXPECT_EQ(st, 0x137f);
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WNOHANG, NULL), 0); // not without WUNTRACED
  OK(sc(SYS_kill, pid, SIGKILL));
  EXPECT_EQ(wait_for(pid), SIGKILL);
}

// A stopped child's pending SIGCONT handler runs once it is continued.
static int g_cont_fd;
static void h_cont(int sig) {
  (void)sig;
  sc(SYS_write, g_cont_fd, "c", 1);
}

static void t_stop_cont_handler(void) {
  int p[2];
  xpipe(p);
  g_cont_fd = p[1];
  long pid = xfork();
  if (pid == 0) {
    set_action(SIGCONT, h_cont, 0, 0);
    send_byte(p[1], 'r');
    pause_forever();
  }
  CHECK(recv_byte(p[0]) == 'r');
  int st;
  OK(sc(SYS_kill, pid, SIGSTOP));
  EXPECT_EQ(sc(SYS_wait4, pid, &st, WUNTRACED, NULL), pid);
  EXPECT_EQ(st, 0x137f);
  OK(sc(SYS_kill, pid, SIGCONT));
  CHECK(recv_byte(p[0]) == 'c');
  kill_and_reap(pid);
}

// waitpid for one pid waits for that child even when another has already exited.
static void t_waitpid_specific(void) {
  long a = xfork();
  if (a == 0)
    _exit(1);
  long b = xfork();
  if (b == 0) {
    sleep_ms(100);
    _exit(2);
  }
  sleep_ms(20);
  EXPECT_EQ(wait_for(b), 2 << 8);
  int st = 0;
  EXPECT_EQ(sc(SYS_wait4, -1, &st, 0, NULL), a);
  EXPECT_EQ(st, 1 << 8);
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0, NULL), ECHILD);
}

// wait4(0) waits for children in the caller's group, wait4(-pgid) for that group's.
static void t_wait_pgrp(void) {
  int go[2];
  xpipe(go);
  long c = xfork();
  if (c == 0) {
    OK(sc(SYS_setpgid, 0, 0));
    recv_byte(go[0]);
    _exit(5);
  }
  OK(sc(SYS_setpgid, c, c)); // both sides set it, so neither races the other
  int st = 0;
  EXPECT_ERR(sc(SYS_wait4, 0, &st, WNOHANG, NULL), ECHILD); // none in our group
  EXPECT_EQ(sc(SYS_wait4, -c, &st, WNOHANG, NULL), 0);       // one there, running
  send_byte(go[1], 'g');
  EXPECT_EQ(sc(SYS_wait4, -c, &st, 0, NULL), c);
  EXPECT_EQ(st, 5 << 8);
}

static void t_wait_errors(void) {
  int st;
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_wait4, -1, &st, WNOHANG, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_wait4, sc(SYS_getppid), &st, 0, NULL), ECHILD); // not our child
  EXPECT_ERR(sc(SYS_wait4, 1, &st, 0, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0x10, NULL), EINVAL); // an undefined option bit
}

// An exited child stays a zombie, still signalable, until it is waited for; then its
// pid is gone. Twenty zombies are all reaped with their own statuses.
static void t_zombies(void) {
  long pid = xfork();
  if (pid == 0)
    _exit(0);
  sleep_ms(30);
  EXPECT_EQ(sc(SYS_kill, pid, 0), 0);
  EXPECT_EQ(wait_for(pid), 0);
  EXPECT_ERR(sc(SYS_kill, pid, 0), ESRCH);
  long pids[20];
  for (int i = 0; i < 20; i++) {
    pids[i] = xfork();
    if (pids[i] == 0)
      _exit(i);
  }
  sleep_ms(30);
  int seen = 0;
  for (int n = 0; n < 20; n++) {
    int st = 0;
    long r = OK(sc(SYS_wait4, -1, &st, 0, NULL));
    int i = 0;
    while (i < 20 && pids[i] != r)
      i++;
    CHECK(i < 20 && st == i << 8 && !(seen & (1 << i)));
    seen |= 1 << i;
  }
  EXPECT_ERR(sc(SYS_wait4, -1, NULL, WNOHANG, NULL), ECHILD);
}

// When a parent exits, its children are handed to init (pid 1). Linux may hand them
// to a "subreaper" instead, so the host check is only that the parent changed.
static void t_orphan_reparent(void) {
  int p[2];
  xpipe(p);
  long mid = xfork();
  if (mid == 0) {
    long me = sc(SYS_getpid);
    long g = xfork();
    if (g == 0) {
      long t0 = now_ms(), ppid;
      while ((ppid = sc(SYS_getppid)) == me && now_ms() - t0 < 5000)
        sleep_ms(5);
      CHECK(sc(SYS_write, p[1], &ppid, sizeof ppid) == sizeof ppid);
      _exit(0);
    }
    _exit(0);
  }
  EXPECT_EXIT(wait_for(mid), 0);
  xclose(p[1]);
  long ppid = 0;
  CHECK(read_full(p[0], (char *)&ppid, sizeof ppid) == sizeof ppid);
  CHECK(ppid != mid);
  if (g_vitrine)
    EXPECT_EQ(ppid, 1);
}

// ---------------------------------------------------------------------------------
// Process groups and sessions

static void t_pgrp_basic(void) {
  long me = sc(SYS_getpid), pg = sc(SYS_getpgrp);
  EXPECT_EQ(sc(SYS_getpgid, 0), pg);
  EXPECT_EQ(sc(SYS_getpgid, me), pg);
  EXPECT_EQ(sc(SYS_getsid, 0), sc(SYS_getsid, me));
  int go[2], ready[2];
  xpipe(go);
  xpipe(ready);
  long c = xfork();
  if (c == 0) {
    CHECK(sc(SYS_getpgrp) == pg && sc(SYS_getsid, 0) == sc(SYS_getsid, me));
    OK(sc(SYS_setpgid, 0, 0));
    CHECK(sc(SYS_getpgrp) == sc(SYS_getpid));
    send_byte(ready[1], '1');
    recv_byte(go[0]);
    CHECK(sc(SYS_getpgrp) == pg); // the parent moved it back
    _exit(0);
  }
  CHECK(recv_byte(ready[0]) == '1');
  EXPECT_EQ(sc(SYS_getpgid, c), c);
  OK(sc(SYS_setpgid, c, pg)); // a parent may move its child within the session
  EXPECT_EQ(sc(SYS_getpgid, c), pg);
  send_byte(go[1], 'g');
  EXPECT_EXIT(wait_for(c), 0);
  EXPECT_ERR(sc(SYS_getpgid, 0x3fffffff), ESRCH);
  EXPECT_ERR(sc(SYS_getsid, 0x3fffffff), ESRCH);
  EXPECT_ERR(sc(SYS_setpgid, 0x3fffffff, 0), ESRCH);
  EXPECT_ERR(sc(SYS_setpgid, 0, -1), EINVAL);
}

// setsid makes a new session and group led by the caller; a group leader may not.
static void t_setsid(void) {
  long old_sid = sc(SYS_getsid, 0);
  int ready[2], go[2];
  xpipe(ready);
  xpipe(go);
  long c = xfork();
  if (c == 0) {
    long me = sc(SYS_getpid);
    EXPECT_EQ(sc(SYS_setsid), me);
    CHECK(sc(SYS_getsid, 0) == me && sc(SYS_getpgrp) == me);
    EXPECT_ERR(sc(SYS_setsid), EPERM); // now it leads a group
    send_byte(ready[1], 's');
    recv_byte(go[0]);
    _exit(0);
  }
  CHECK(recv_byte(ready[0]) == 's');
  EXPECT_EQ(sc(SYS_getsid, c), c);
  EXPECT_EQ(sc(SYS_getsid, 0), old_sid);
  EXPECT_ERR(sc(SYS_setpgid, c, c), EPERM);               // a session leader
  EXPECT_ERR(sc(SYS_setpgid, c, sc(SYS_getpgrp)), EPERM); // in another session
  send_byte(go[1], 'g');
  EXPECT_EXIT(wait_for(c), 0);
  long l = xfork();
  if (l == 0) {
    OK(sc(SYS_setpgid, 0, 0));
    EXPECT_ERR(sc(SYS_setsid), EPERM);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(l), 0);
}

// A parent may not change the group of a child that has called execve (EACCES), nor
// join a group that does not exist in its session (EPERM).
static void t_setpgid_errors(void) {
  int p[2];
  OK(sc(SYS_pipe2, p, O_CLOEXEC));
  long c = xfork();
  if (c == 0) {
    char *argv[] = {(char *)g_self, "--sleep-exit", "5000", "0", NULL};
    sc(SYS_execve, g_self, argv, g_noenv);
    _exit(EXEC_FAILED + errno);
  }
  xclose(p[1]);
  char b;
  CHECK(sc(SYS_read, p[0], &b, 1) == 0); // EOF: execve closed the child's copy
  EXPECT_ERR(sc(SYS_setpgid, c, c), EACCES);
  kill_and_reap(c);
  long idle = idle_child(); // in our group, leading none
  EXPECT_ERR(sc(SYS_setpgid, 0, idle), EPERM);
  kill_and_reap(idle);
}

// kill(-pgid) reaches every member of the group and nobody else.
static void t_kill_pgrp(void) {
  long l = idle_child();
  OK(sc(SYS_setpgid, l, l));
  long m = idle_child();
  OK(sc(SYS_setpgid, m, l));
  long outsider = idle_child();
  EXPECT_EQ(sc(SYS_getpgid, m), l);
  EXPECT_EQ(sc(SYS_kill, -l, 0), 0);
  OK(sc(SYS_kill, -l, SIGTERM));
  EXPECT_KILLED(wait_for(l), SIGTERM);
  EXPECT_KILLED(wait_for(m), SIGTERM);
  int st;
  EXPECT_EQ(sc(SYS_wait4, outsider, &st, WNOHANG, NULL), 0);
  kill_and_reap(outsider);
  EXPECT_ERR(sc(SYS_kill, -l, SIGTERM), ESRCH); // the group is gone
}

// kill(0, sig) signals the caller's own group, the caller included.
static void t_kill_zero(void) {
  long leader = xfork();
  if (leader == 0) {
    OK(sc(SYS_setpgid, 0, 0));
    CHECK(sc(SYS_getpgrp) == sc(SYS_getpid)); // else kill(0) would hit the runner
    set_action(SIGTERM, SIG_IGN, 0, 0);
    long k[2];
    for (int i = 0; i < 2; i++) {
      k[i] = xfork();
      if (k[i] == 0) {
        set_action(SIGTERM, SIG_DFL, 0, 0);
        pause_forever();
      }
    }
    sleep_ms(20); // let them reset SIGTERM
    OK(sc(SYS_kill, 0, SIGTERM));
    for (int i = 0; i < 2; i++)
      EXPECT_KILLED(wait_for(k[i]), SIGTERM);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(leader), 0);
}

// ---------------------------------------------------------------------------------
// Miscellaneous process state

struct robust_head {
  void *next;
  long futex_offset;
  void *pending;
};

static void t_set_robust_list(void) {
  static struct robust_head h = {&h, 0, NULL};
  EXPECT_EQ(sc(SYS_set_robust_list, &h, sizeof h), 0);
  EXPECT_ERR(sc(SYS_set_robust_list, &h, sizeof h + 8), EINVAL);
}

struct rseq_area {
  uint32_t cpu_id_start, cpu_id;
  uint64_t rseq_cs;
  uint32_t flags, pad[3];
} __attribute__((aligned(32)));

// rseq is optional (ENOSYS), but a kernel that accepts the registration must fill in
// the current CPU and accept the matching unregistration.
static void t_rseq(void) {
  static struct rseq_area r;
  r.cpu_id = (uint32_t)-1;
  long ret = sc(SYS_rseq, &r, sizeof r, 0, RSEQ_SIG);
  if (ret == -1 && errno == ENOSYS)
    return;
  EXPECT_EQ(ret, 0);
  CHECK(r.cpu_id < 4096);
  EXPECT_ERR(sc(SYS_rseq, &r, sizeof r, RSEQ_FLAG_UNREGISTER, RSEQ_SIG + 1), EPERM);
  EXPECT_EQ(sc(SYS_rseq, &r, sizeof r, RSEQ_FLAG_UNREGISTER, RSEQ_SIG), 0);
}

static void t_prlimit(void) {
  struct rlimit a, b;
  OK(sc(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &a));
  CHECK(a.rlim_cur > 2 && a.rlim_cur <= a.rlim_max);
  OK(sc(SYS_prlimit64, sc(SYS_getpid), RLIMIT_NOFILE, NULL, &b));
  CHECK(a.rlim_cur == b.rlim_cur && a.rlim_max == b.rlim_max);
  OK(sc(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &a));
  CHECK(a.rlim_cur >= 65536 && a.rlim_cur <= a.rlim_max);
  EXPECT_ERR(sc(SYS_prlimit64, 0, 999, NULL, &a), EINVAL);
  EXPECT_ERR(sc(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &a), ESRCH);
}

static void t_umask(void) {
  long old = sc(SYS_umask, 027);
  EXPECT_EQ(sc(SYS_umask, 027), 027);
  const char *f = tmp_path("umask"), *d = tmp_path("umaskd");
  int fd = OK(sc(SYS_open, f, O_RDWR | O_CREAT | O_TRUNC, 0666));
  OK(sc(SYS_mkdir, d, 0777));
  struct stat sf, sd;
  OK(sc(SYS_fstat, fd, &sf));
  OK(sc(SYS_stat, d, &sd));
  sc(SYS_unlink, f);
  sc(SYS_rmdir, d);
  EXPECT_EQ(sf.st_mode & 0777, 0640);
  EXPECT_EQ(sd.st_mode & 0777, 0750);
  long pid = xfork();
  if (pid == 0)
    _exit(sc(SYS_umask, 077) == 027 ? 0 : 1); // inherited; changing it is private
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(sc(SYS_umask, old), 027);
}

// ---------------------------------------------------------------------------------
// Signals: sending, siginfo

static void t_kill_self_handler(void) {
  set_action(SIGUSR1, h_count, 0, 0);
  EXPECT_EQ(kill_self(SIGUSR1), 0);
  CHECK(g_hits[SIGUSR1] == 1); // delivered before kill returned
  CHECK(g_handler_arg == SIGUSR1);
  EXPECT_EQ(kill_self(0), 0); // signal 0 only checks
  CHECK(g_hits[SIGUSR1] == 1);
}

static void reset_info(void) {
  g_si_signo = g_si_code = g_si_pid = g_si_uid = -99;
}

static void expect_info_at(int line, int sig, int code, long pid) {
  if (g_si_signo != sig || g_si_code != code || g_si_pid != pid ||
      g_si_uid != sc(SYS_getuid))
    fail_at(line, "siginfo signo %d code %d pid %d uid %d, want %d %d %ld %ld", g_si_signo,
            g_si_code, g_si_pid, g_si_uid, sig, code, pid, sc(SYS_getuid));
}
#define EXPECT_INFO(sig, code, pid) expect_info_at(__LINE__, (sig), (code), (pid))

// SA_SIGINFO: kill reports SI_USER, tkill and tgkill SI_TKILL, with the sender's pid
// and real uid.
static void t_siginfo_self(void) {
  long me = sc(SYS_getpid), tid = sc(SYS_gettid);
  set_action(SIGUSR1, h_info, SA_SIGINFO, 0);
  reset_info();
  OK(kill_self(SIGUSR1));
  EXPECT_INFO(SIGUSR1, SI_USER, me);
  reset_info();
  OK(sc(SYS_tkill, tid, SIGUSR1));
  EXPECT_INFO(SIGUSR1, SI_TKILL, me);
  reset_info();
  OK(sc(SYS_tgkill, me, tid, SIGUSR1));
  EXPECT_INFO(SIGUSR1, SI_TKILL, me);
  CHECK(g_hits[SIGUSR1] == 3);
}

static void t_siginfo_other(void) {
  long me = sc(SYS_getpid);
  set_action(SIGUSR2, h_info, SA_SIGINFO, 0);
  change_mask(SIG_BLOCK, bit(SIGUSR2));
  reset_info();
  long c = signal_later(me, SIGUSR2, 0);
  uint64_t none = 0;
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  EXPECT_INFO(SIGUSR2, SI_USER, c);
  EXPECT_EXIT(wait_for(c), 0);
}

static void t_kill_errors(void) {
  long me = sc(SYS_getpid), tid = sc(SYS_gettid);
  EXPECT_ERR(sc(SYS_kill, 0x3fffffff, 0), ESRCH);
  EXPECT_ERR(sc(SYS_kill, 0x3fffffff, SIGTERM), ESRCH);
  EXPECT_ERR(sc(SYS_kill, -0x3fffffff, SIGTERM), ESRCH);
  EXPECT_ERR(sc(SYS_kill, me, 65), EINVAL);
  EXPECT_ERR(sc(SYS_kill, me, -1), EINVAL);
  EXPECT_ERR(sc(SYS_tkill, 0x3fffffff, SIGTERM), ESRCH);
  EXPECT_ERR(sc(SYS_tkill, 0, SIGTERM), EINVAL);
  EXPECT_ERR(sc(SYS_tkill, -1, SIGTERM), EINVAL);
  EXPECT_ERR(sc(SYS_tkill, tid, 65), EINVAL);
  EXPECT_ERR(sc(SYS_tgkill, me, 0x3fffffff, SIGTERM), ESRCH);
  EXPECT_ERR(sc(SYS_tgkill, sc(SYS_getppid), tid, SIGTERM), ESRCH); // wrong group
  EXPECT_ERR(sc(SYS_tgkill, me, tid, 65), EINVAL);
  EXPECT_ERR(sc(SYS_tgkill, 0, tid, SIGTERM), EINVAL);
  EXPECT_EQ(sc(SYS_tkill, tid, 0), 0);
  EXPECT_EQ(sc(SYS_tgkill, me, tid, 0), 0);
}

// An unprivileged process may signal only processes of its own uid, except SIGCONT
// within its session. Our process ignores SIGUSR1, so a wrongly allowed kill would
// not end the test early.
static void t_kill_eperm(void) {
  need_root();
  set_action(SIGUSR1, SIG_IGN, 0, 0);
  long me = sc(SYS_getpid);
  long c = xfork();
  if (c == 0) {
    OK(sc(SYS_setuid, 1000));
    EXPECT_ERR(sc(SYS_kill, me, 0), EPERM);
    EXPECT_ERR(sc(SYS_kill, me, SIGUSR1), EPERM);
    EXPECT_ERR(sc(SYS_tgkill, me, me, SIGUSR1), EPERM);
    EXPECT_ERR(sc(SYS_kill, 1, 0), EPERM);
    EXPECT_EQ(sc(SYS_kill, me, SIGCONT), 0); // same session
    long g = idle_child(); // same uid: allowed
    kill_and_reap(g);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(c), 0);
}

// ---------------------------------------------------------------------------------
// Signals: the interrupted registers survive a handler
//
// regs_probe_kill loads a distinct value into every register the syscall itself
// preserves, optionally sets rflags.DF, and sends kill(pid, sig) with the syscall
// instruction; regs_probe_spin loads the same values and spins until *flag != 0 (so
// the signal arrives on an interrupt, not a syscall return). Both then store every
// register into a regsnap. clobber_handler, the handler, is written in assembly so
// that it can destroy all of them, callee-saved ones included, plus DF and the SSE
// registers, and return straight to the restorer: only the kernel's signal frame can
// put them back.

struct regsnap {
  uint64_t rbx, rbp, r12, r13, r14, r15, rdi, rsi, rdx, r8, r9, r10; // 0..88
  uint64_t rsp_before, rsp_after, rflags, result;                    // 96..120
  uint64_t xmm0[2], xmm1[2], xmm15[2];                               // 128..160
};

long regs_probe_kill(long pid, long sig, long set_df, struct regsnap *out);
long regs_probe_spin(volatile int *flag, long loops, struct regsnap *out);
void clobber_handler(int sig);
volatile int g_clob_hits, g_clob_signo, g_clob_misalign, g_clob_df;

static const uint64_t k_pat[12] = {
    0x1b1b1b1b1b1b1b1bULL, 0x2b2b2b2b2b2b2b2bULL, 0x3c3c3c3c3c3c3c12ULL,
    0x4c4c4c4c4c4c4c13ULL, 0x5c5c5c5c5c5c5c14ULL, 0x6c6c6c6c6c6c6c15ULL,
    0x7d7d7d7d7d7d7d7dULL, 0x8e8e8e8e8e8e8e8eULL, 0x9d9d9d9d9d9d9d9dULL,
    0xa8a8a8a8a8a8a8a8ULL, 0xb9b9b9b9b9b9b9b9ULL, 0xc1c1c1c1c1c1c1c1ULL,
};
uint64_t g_xmm_pat[6] = {0x0011223344556677ULL, 0x8899aabbccddeeffULL,
                         0x1357913579135791ULL, 0x2468024680246802ULL,
                         0xfedcba9876543210ULL, 0x0f1e2d3c4b5a6978ULL};

#define PAT_LOAD                                                                         \
  "  movabs $0x1b1b1b1b1b1b1b1b, %rbx\n"                                                 \
  "  movabs $0x2b2b2b2b2b2b2b2b, %rbp\n"                                                 \
  "  movabs $0x3c3c3c3c3c3c3c12, %r12\n"                                                 \
  "  movabs $0x4c4c4c4c4c4c4c13, %r13\n"                                                 \
  "  movabs $0x5c5c5c5c5c5c5c14, %r14\n"                                                 \
  "  movabs $0x6c6c6c6c6c6c6c15, %r15\n"                                                 \
  "  movabs $0x9d9d9d9d9d9d9d9d, %rdx\n"                                                 \
  "  movabs $0xa8a8a8a8a8a8a8a8, %r8\n"                                                  \
  "  movabs $0xb9b9b9b9b9b9b9b9, %r9\n"                                                  \
  "  movabs $0xc1c1c1c1c1c1c1c1, %r10\n"                                                 \
  "  movdqu g_xmm_pat(%rip), %xmm0\n"                                                    \
  "  movdqu g_xmm_pat+16(%rip), %xmm1\n"                                                 \
  "  movdqu g_xmm_pat+32(%rip), %xmm15\n"

// After the probe: the flags, then the result, are pushed; the snapshot pointer is
// just above them; everything else is stored from where it is.
#define PAT_STORE                                                                        \
  "  pushfq\n"                                                                           \
  "  cld\n"                                                                              \
  "  push %rax\n"                                                                        \
  "  mov 16(%rsp), %rax\n"                                                               \
  "  lea 16(%rsp), %r11\n"                                                               \
  "  mov %r11, 104(%rax)\n"                                                              \
  "  mov %rbx, 0(%rax)\n"                                                                \
  "  mov %rbp, 8(%rax)\n"                                                                \
  "  mov %r12, 16(%rax)\n"                                                               \
  "  mov %r13, 24(%rax)\n"                                                               \
  "  mov %r14, 32(%rax)\n"                                                               \
  "  mov %r15, 40(%rax)\n"                                                               \
  "  mov %rdi, 48(%rax)\n"                                                               \
  "  mov %rsi, 56(%rax)\n"                                                               \
  "  mov %rdx, 64(%rax)\n"                                                               \
  "  mov %r8, 72(%rax)\n"                                                                \
  "  mov %r9, 80(%rax)\n"                                                                \
  "  mov %r10, 88(%rax)\n"                                                               \
  "  pop %r11\n"                                                                         \
  "  mov %r11, 120(%rax)\n"                                                              \
  "  pop %r11\n"                                                                         \
  "  mov %r11, 112(%rax)\n"                                                              \
  "  movdqu %xmm0, 128(%rax)\n"                                                          \
  "  movdqu %xmm1, 144(%rax)\n"                                                          \
  "  movdqu %xmm15, 160(%rax)\n"                                                         \
  "  mov 120(%rax), %rax\n"                                                              \
  "  pop %rcx\n"                                                                         \
  "  pop %r15\n"                                                                         \
  "  pop %r14\n"                                                                         \
  "  pop %r13\n"                                                                         \
  "  pop %r12\n"                                                                         \
  "  pop %rbp\n"                                                                         \
  "  pop %rbx\n"                                                                         \
  "  ret\n"

#define PUSH_CALLEE                                                                      \
  "  push %rbx\n"                                                                        \
  "  push %rbp\n"                                                                        \
  "  push %r12\n"                                                                        \
  "  push %r13\n"                                                                        \
  "  push %r14\n"                                                                        \
  "  push %r15\n"

__asm__(".text\n"
        ".globl regs_probe_kill\n"
        ".type regs_probe_kill, @function\n"
        "regs_probe_kill:\n" // rdi=pid rsi=sig rdx=set_df rcx=out
        PUSH_CALLEE
        "  push %rcx\n"
        "  mov %rsp, 96(%rcx)\n"
        "  mov %rdx, %rax\n"
        PAT_LOAD
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  std\n"
        "1:\n"
        "  mov $62, %eax\n" // kill(rdi, rsi)
        "  syscall\n"
        PAT_STORE
        "\n"
        ".globl regs_probe_spin\n"
        ".type regs_probe_spin, @function\n"
        "regs_probe_spin:\n" // rdi=flag rsi=loops rdx=out
        PUSH_CALLEE
        "  push %rdx\n"
        "  mov %rsp, 96(%rdx)\n"
        "  mov %rdi, %rcx\n"
        "  mov %rsi, %rax\n"
        PAT_LOAD
        "  movabs $0x7d7d7d7d7d7d7d7d, %rdi\n"
        "  movabs $0x8e8e8e8e8e8e8e8e, %rsi\n"
        "2:\n"
        "  cmpl $0, (%rcx)\n"
        "  jne 3f\n"
        "  dec %rax\n"
        "  jnz 2b\n"
        "3:\n"
        PAT_STORE
        "\n"
        ".globl clobber_handler\n"
        ".type clobber_handler, @function\n"
        "clobber_handler:\n"
        "  mov %edi, g_clob_signo(%rip)\n"
        "  lea 8(%rsp), %rax\n" // the ABI wants rsp+8 16-byte aligned at entry
        "  and $15, %eax\n"
        "  mov %eax, g_clob_misalign(%rip)\n"
        "  pushfq\n"
        "  pop %rax\n"
        "  and $0x400, %eax\n" // and DF clear
        "  mov %eax, g_clob_df(%rip)\n"
        "  lock incl g_clob_hits(%rip)\n"
        "  mov $-1, %rax\n"
        "  mov %rax, %rbx\n"
        "  mov %rax, %rbp\n"
        "  mov %rax, %rcx\n"
        "  mov %rax, %rdx\n"
        "  mov %rax, %rsi\n"
        "  mov %rax, %rdi\n"
        "  mov %rax, %r8\n"
        "  mov %rax, %r9\n"
        "  mov %rax, %r10\n"
        "  mov %rax, %r11\n"
        "  mov %rax, %r12\n"
        "  mov %rax, %r13\n"
        "  mov %rax, %r14\n"
        "  mov %rax, %r15\n"
        "  pcmpeqd %xmm0, %xmm0\n"
        "  pcmpeqd %xmm1, %xmm1\n"
        "  pcmpeqd %xmm15, %xmm15\n"
        "  std\n"
        "  ret\n");

static void check_snap_at(int line, const struct regsnap *s, uint64_t rdi, uint64_t rsi) {
  const uint64_t *got = &s->rbx;
  static const char *names[12] = {"rbx", "rbp", "r12", "r13", "r14", "r15",
                                  "rdi", "rsi", "rdx", "r8",  "r9",  "r10"};
  for (int i = 0; i < 12; i++) {
    uint64_t want = i == 6 ? rdi : i == 7 ? rsi : k_pat[i];
    if (got[i] != want)
      fail_at(line, "%s is %#lx after the handler, want %#lx", names[i], got[i], want);
  }
  if (memcmp(s->xmm0, g_xmm_pat, 16) || memcmp(s->xmm1, g_xmm_pat + 2, 16) ||
      memcmp(s->xmm15, g_xmm_pat + 4, 16))
    fail_at(line, "xmm0/xmm1/xmm15 changed: %#lx %#lx / %#lx / %#lx", s->xmm0[0],
            s->xmm0[1], s->xmm1[0], s->xmm15[0]);
  if (s->rsp_before != s->rsp_after)
    fail_at(line, "rsp %#lx after, %#lx before", s->rsp_after, s->rsp_before);
}

static void expect_clobber_entry_at(int line, int sig) {
  if (g_clob_hits != 1 || g_clob_signo != sig || g_clob_misalign != 0 || g_clob_df != 0)
    fail_at(line, "handler ran %d times, signo %d, (rsp+8)%%16 = %d, DF %#x", g_clob_hits,
            g_clob_signo, g_clob_misalign, g_clob_df);
}

// A SIGUSR1 delivered as kill() returns, with DF set (or not) by the interrupted code:
// the registers come back, DF as it was (the handler ran with DF clear, and its std
// did not leak back).
static void signal_at_kill(int df) {
  set_action(SIGUSR1, clobber_handler, 0, 0);
  struct regsnap s;
  memset(&s, 0, sizeof s);
  long me = sc(SYS_getpid);
  long r = regs_probe_kill(me, SIGUSR1, df, &s);
  expect_clobber_entry_at(__LINE__, SIGUSR1);
  EXPECT_EQ(r, 0);
  check_snap_at(__LINE__, &s, me, SIGUSR1);
  CHECK((s.rflags & DF_FLAG) == (df ? DF_FLAG : 0));
}

// A signal delivered as kill() returns.
static void t_signal_regs_syscall(void) { signal_at_kill(0); }

// rflags is part of the frame too: DF set by the interrupted code is cleared for the
// handler and set again after it.
static void t_signal_regs_df(void) { signal_at_kill(1); }

// A signal that interrupts user code (sent by another process while this one spins).
static void t_signal_regs_async(void) {
  set_action(SIGUSR1, clobber_handler, 0, 0);
  struct regsnap s;
  memset(&s, 0, sizeof s);
  long c = signal_later(sc(SYS_getpid), SIGUSR1, 20);
  long left = regs_probe_spin(&g_clob_hits, 1L << 34, &s);
  CHECK(left != 0); // else the signal never came
  expect_clobber_entry_at(__LINE__, SIGUSR1);
  check_snap_at(__LINE__, &s, k_pat[6], k_pat[7]);
  CHECK((s.rflags & DF_FLAG) == 0);
  EXPECT_EXIT(wait_for(c), 0);
}

// ---------------------------------------------------------------------------------
// Signals: masks, pending, suspension

// A blocked signal stays pending (once, however often it is sent) and is delivered
// as soon as it is unblocked, before rt_sigprocmask returns. SIGKILL and SIGSTOP
// cannot be blocked; the mask is inherited by fork but pending signals are not.
static void t_sigprocmask(void) {
  set_action(SIGUSR1, h_count, 0, 0);
  change_mask(SIG_SETMASK, 0);
  EXPECT_EQ(change_mask(SIG_BLOCK, bit(SIGUSR1)), 0);
  EXPECT_EQ(get_mask(), bit(SIGUSR1));
  OK(kill_self(SIGUSR1));
  OK(kill_self(SIGUSR1));
  CHECK(g_hits[SIGUSR1] == 0);
  EXPECT_EQ(get_pending(), bit(SIGUSR1));
  long pid = xfork();
  if (pid == 0)
    _exit(get_pending() == 0 && get_mask() == bit(SIGUSR1) ? 0 : 1);
  EXPECT_EXIT(wait_for(pid), 0);
  change_mask(SIG_UNBLOCK, bit(SIGUSR1));
  CHECK(g_hits[SIGUSR1] == 1);
  EXPECT_EQ(get_pending(), 0);
  change_mask(SIG_SETMASK, ~0ULL);
  EXPECT_EQ(get_mask(), ~0ULL & ~bit(SIGKILL) & ~bit(SIGSTOP));
  uint64_t m = 0;
  EXPECT_ERR(sc(SYS_rt_sigprocmask, 99, &m, NULL, 8), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 4), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigpending, &m, 16), EINVAL); // smaller is allowed, larger not
}

// Real-time signals queue: each one sent while blocked is delivered.
static void t_rt_signal_queue(void) {
  const int rt = 40;
  set_action(rt, h_count, 0, 0);
  change_mask(SIG_BLOCK, bit(rt));
  for (int i = 0; i < 3; i++)
    OK(kill_self(rt));
  change_mask(SIG_UNBLOCK, bit(rt));
  CHECK(g_hits[rt] == 3);
}

// Each instance of a real-time signal is queued with its own siginfo: rt_sigqueueinfo's
// values come out one at a time, in the order sent, lowest signal first; sigpending
// shows the signal while any instance waits; a kill() instance queues too (SI_USER).
static int sigq(int sig, int value) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_QUEUE;
  si.si_pid = sc(SYS_getpid);
  si.si_uid = sc(SYS_getuid);
  si.si_value.sival_int = value;
  return sc(SYS_rt_sigqueueinfo, sc(SYS_getpid), sig, &si);
}

static void t_rt_sigqueue_values(void) {
  const int a = 40, b = 41;
  uint64_t set = bit(a) | bit(b);
  change_mask(SIG_BLOCK, set);
  OK(sigq(b, 1));
  OK(sigq(a, 2));
  OK(sigq(b, 3));
  OK(sigq(a, 4));
  OK(kill_self(a));
  static const int want_sig[] = {a, a, a, b, b}, want_val[] = {2, 4, -1, 1, 3};
  struct timespec zero = {0, 0};
  for (int i = 0; i < 5; i++) {
    ctx("instance %d", i);
    EXPECT_EQ(get_pending(), i < 3 ? set : bit(b));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EXPECT_EQ(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), want_sig[i]);
    EXPECT_EQ(si.si_signo, want_sig[i]);
    EXPECT_EQ(si.si_code, want_val[i] < 0 ? SI_USER : SI_QUEUE);
    if (want_val[i] >= 0)
      EXPECT_EQ(si.si_value.sival_int, want_val[i]);
  }
  ctx("%s", "");
  EXPECT_EQ(get_pending(), 0);
  siginfo_t si;
  EXPECT_ERR(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), EAGAIN);
}

static int g_rtvals[8], g_nrtvals;
static void h_rtval(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (g_nrtvals < 8)
    g_rtvals[g_nrtvals++] = sig * 100 + si->si_value.sival_int;
}

// Delivered to a handler, the instances come in the same order, each with its value.
static void t_rt_sigqueue_handler(void) {
  const int a = 50, b = 51;
  set_action(a, h_rtval, SA_SIGINFO, ~0ULL); // (one handler after the other, not nested)
  set_action(b, h_rtval, SA_SIGINFO, ~0ULL);
  change_mask(SIG_BLOCK, bit(a) | bit(b));
  OK(sigq(b, 7));
  OK(sigq(a, 8));
  OK(sigq(a, 9));
  OK(sigq(b, 6));
  change_mask(SIG_UNBLOCK, bit(a) | bit(b));
  EXPECT_EQ(g_nrtvals, 4);
  EXPECT_EQ(g_rtvals[0], a * 100 + 8);
  EXPECT_EQ(g_rtvals[1], a * 100 + 9);
  EXPECT_EQ(g_rtvals[2], b * 100 + 7);
  EXPECT_EQ(g_rtvals[3], b * 100 + 6);
}

// A standard signal does not queue: a second one sent while the first is pending is
// lost, and the first one's siginfo is the one delivered.
static void t_std_signal_no_queue(void) {
  uint64_t set = bit(SIGUSR1);
  change_mask(SIG_BLOCK, set);
  OK(sigq(SIGUSR1, 7));
  OK(sigq(SIGUSR1, 8));
  OK(kill_self(SIGUSR1));
  siginfo_t si;
  struct timespec zero = {0, 0};
  EXPECT_EQ(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), SIGUSR1);
  EXPECT_EQ(si.si_code, SI_QUEUE);
  EXPECT_EQ(si.si_value.sival_int, 7);
  EXPECT_ERR(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), EAGAIN);
}

// RLIMIT_SIGPENDING bounds the real-time instances queued for a user: past it,
// sigqueue is EAGAIN, and kill() succeeds but its instance is lost (Linux: "a silent
// loss of information", the signal being pending already); once some are taken,
// sigqueue works again. (Linux counts the signals pending for the
// receiver's real user, so the test runs as a user no other process has.)
static void t_sigpending_limit(void) {
  const int rt = 45, lim = 8;
  struct rlimit rl = {lim, lim};
  OK(setrlimit(RLIMIT_SIGPENDING, &rl));
  OK(sc(SYS_setuid, 50000 + sc(SYS_getpid) % 10000));
  change_mask(SIG_BLOCK, bit(rt));
  int n = 0;
  while (n < 100 && sigq(rt, n) == 0)
    n++;
  EXPECT_ERR(sigq(rt, n), EAGAIN);
  ctx("queued %d of %d", n, lim);
  CHECK(n == lim);
  OK(kill_self(rt)); // over the limit: not refused, not queued either
  uint64_t set = bit(rt);
  siginfo_t si;
  struct timespec zero = {0, 0};
  EXPECT_EQ(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), rt);
  EXPECT_EQ(si.si_value.sival_int, 0);
  EXPECT_EQ(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), rt);
  EXPECT_EQ(si.si_value.sival_int, 1);
  OK(sigq(rt, 1000)); // room for one again
  int got = 0, last = -1;
  while (sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8) == rt) {
    got++;
    last = si.si_code == SI_QUEUE ? si.si_value.sival_int : -2;
  }
  EXPECT_EQ(got, n - 2 + 1); // the rest and the last sigqueue
  EXPECT_EQ(last, 1000);
}

// Pending signals unblocked together are delivered lowest number first (each handler
// blocks all others, so they run one after the other rather than nested).
static void t_signal_order(void) {
  int sigs[3] = {SIGTERM, SIGUSR2, SIGUSR1};
  uint64_t all = bit(SIGUSR1) | bit(SIGUSR2) | bit(SIGTERM);
  change_mask(SIG_BLOCK, all);
  for (int i = 0; i < 3; i++) {
    set_action(sigs[i], h_count, 0, ~0ULL);
    OK(kill_self(sigs[i]));
  }
  change_mask(SIG_UNBLOCK, all);
  CHECK(g_norder == 3);
  CHECK(g_order[0] == SIGUSR1 && g_order[1] == SIGUSR2 && g_order[2] == SIGTERM);
}

// sigsuspend swaps the mask in, waits for a handled signal, returns EINTR and puts
// the old mask back.
static void t_sigsuspend(void) {
  set_action(SIGUSR1, h_count, 0, 0);
  change_mask(SIG_SETMASK, bit(SIGUSR1));
  long c = signal_later(sc(SYS_getpid), SIGUSR1, 50);
  uint64_t none = 0;
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  CHECK(g_hits[SIGUSR1] == 1);
  EXPECT_EQ(get_mask(), bit(SIGUSR1));
  EXPECT_EXIT(wait_for(c), 0);
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 4), EINVAL);
}

// A stop and continue in the middle of a sleep is invisible, and the sleep still ends
// at its first deadline (Linux's restart block): restarting it from the beginning would
// add the time it had already slept.
static void t_nanosleep_stop_cont_keeps_deadline(void) {
  int p[2];
  xpipe(p);
  long c = xfork();
  if (c == 0) {
    long t0 = now_ms();
    struct timespec ts = {0, 600 * 1000000L}, rem = {0, 0};
    long r = sc(SYS_nanosleep, &ts, &rem);
    long took = now_ms() - t0;
    CHECK_EQ(sc(SYS_write, p[1], &took, sizeof took), sizeof took);
    _exit(r == 0 ? 0 : 2);
  }
  sleep_ms(300);
  OK(sc(SYS_kill, c, SIGSTOP));
  sleep_ms(100);
  OK(sc(SYS_kill, c, SIGCONT));
  EXPECT_EXIT(wait_for(c), 0);
  long took = 0;
  CHECK_EQ(sc(SYS_read, p[0], &took, sizeof took), sizeof took);
  ctx("[the 600 ms sleep took %ld ms]", took);
  CHECK(took >= 600 && took < 850); // from the beginning again: 900 ms or more
}

// restart_syscall with nothing to restart fails with EINTR, as on Linux.
static void t_restart_syscall_alone(void) { EXPECT_ERR(sc(SYS_restart_syscall), EINTR); }

// rt_sigtimedwait takes a blocked pending signal without running its handler.
static void t_sigtimedwait(void) {
  set_action(SIGUSR1, h_count, 0, 0);
  change_mask(SIG_SETMASK, bit(SIGUSR1));
  OK(kill_self(SIGUSR1));
  uint64_t set = bit(SIGUSR1);
  siginfo_t si;
  struct timespec zero = {0, 0};
  EXPECT_EQ(sc(SYS_rt_sigtimedwait, &set, &si, &zero, 8), SIGUSR1);
  CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == sc(SYS_getpid));
  CHECK(g_hits[SIGUSR1] == 0);
  EXPECT_EQ(get_pending(), 0);
  struct timespec t = {0, 30 * 1000000};
  long t0 = now_ms();
  EXPECT_ERR(sc(SYS_rt_sigtimedwait, &set, &si, &t, 8), EAGAIN);
  CHECK(now_ms() - t0 >= 29);
}

// ---------------------------------------------------------------------------------
// Signals: sigaction flags

static void t_sa_resethand(void) {
  set_action(SIGUSR1, h_count, SA_RESETHAND, 0);
  OK(kill_self(SIGUSR1));
  CHECK(g_hits[SIGUSR1] == 1);
  CHECK(get_action(SIGUSR1).handler == SIG_DFL);
  long pid = xfork();
  if (pid == 0) {
    kill_self(SIGUSR1);
    _exit(SURVIVED);
  }
  EXPECT_EQ(wait_for(pid), SIGUSR1);
}

// The handler sends itself the same signal: normally it is held until the handler
// returns (depth 1); with SA_NODEFER it nests at once (depth 2).
static volatile int g_depth, g_max_depth;
static void h_reenter(int sig) {
  g_depth++;
  if (g_depth > g_max_depth)
    g_max_depth = g_depth;
  if (g_hits[sig]++ == 0)
    kill_self(sig);
  g_depth--;
}

static void t_sa_nodefer(void) {
  set_action(SIGUSR1, h_reenter, 0, 0);
  OK(kill_self(SIGUSR1));
  CHECK(g_hits[SIGUSR1] == 2 && g_max_depth == 1);
  g_hits[SIGUSR1] = g_max_depth = 0;
  set_action(SIGUSR1, h_reenter, SA_NODEFER, 0);
  OK(kill_self(SIGUSR1));
  CHECK(g_hits[SIGUSR1] == 2 && g_max_depth == 2);
}

// sa_mask and the signal itself are blocked while the handler runs, and the old mask
// comes back when it returns.
static volatile uint64_t g_mask_in_handler;
static void h_mask(int sig) {
  (void)sig;
  g_mask_in_handler = get_mask();
}

static void t_sa_mask(void) {
  set_action(SIGUSR1, h_mask, 0, bit(SIGUSR2) | bit(SIGHUP));
  change_mask(SIG_SETMASK, bit(SIGINT));
  OK(kill_self(SIGUSR1));
  EXPECT_EQ(g_mask_in_handler, bit(SIGINT) | bit(SIGUSR1) | bit(SIGUSR2) | bit(SIGHUP));
  EXPECT_EQ(get_mask(), bit(SIGINT));
  set_action(SIGUSR1, h_mask, SA_NODEFER, 0);
  OK(kill_self(SIGUSR1));
  EXPECT_EQ(g_mask_in_handler, bit(SIGINT));
}

// A read blocked on an empty pipe is interrupted by a handled signal: with SA_RESTART
// it carries on and gets the data written later, without it it fails with EINTR.
static long read_interrupted(unsigned long flags, char *c) {
  set_action(SIGUSR1, h_count, flags, 0);
  int p[2];
  xpipe(p);
  long me = sc(SYS_getpid);
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(100);
    sc(SYS_kill, me, SIGUSR1);
    sleep_ms(100);
    sc(SYS_write, p[1], "x", 1);
    _exit(0);
  }
  long r = sc(SYS_read, p[0], c, 1);
  int e = errno;
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(g_hits[SIGUSR1] == 1);
  errno = e;
  return r;
}

static void t_sa_restart(void) {
  char c = 0;
  EXPECT_EQ(read_interrupted(SA_RESTART, &c), 1);
  CHECK(c == 'x');
}

static void t_read_eintr(void) {
  char c = 0;
  EXPECT_ERR(read_interrupted(0, &c), EINTR);
}

// SA_ONSTACK runs the handler on the alternate stack; sigaltstack reports
// SS_ONSTACK inside it. Without SA_ONSTACK the normal stack is used.
static char *g_alt_base;
static volatile uintptr_t g_local_addr;
static volatile int g_ss_flags;
static void h_where(int sig) {
  volatile char here = 0;
  stack_t cur;
  (void)sig;
  g_local_addr = (uintptr_t)&here;
  sc(SYS_sigaltstack, NULL, &cur);
  g_ss_flags = cur.ss_flags;
}

static void t_sigaltstack(void) {
  size_t size = 64 * 1024;
  g_alt_base = (char *)OK(sc(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  stack_t ss = {.ss_sp = g_alt_base, .ss_flags = 0, .ss_size = size}, old;
  OK(sc(SYS_sigaltstack, &ss, &old));
  CHECK(old.ss_flags == SS_DISABLE);
  set_action(SIGUSR1, h_where, SA_ONSTACK, 0);
  OK(kill_self(SIGUSR1));
  uintptr_t lo = (uintptr_t)g_alt_base;
  CHECK(g_local_addr >= lo && g_local_addr < lo + size);
  CHECK(g_ss_flags == SS_ONSTACK);
  OK(sc(SYS_sigaltstack, NULL, &old));
  CHECK(old.ss_flags == 0 && old.ss_sp == g_alt_base && old.ss_size == size);
  set_action(SIGUSR2, h_where, 0, 0);
  OK(kill_self(SIGUSR2));
  CHECK(g_local_addr < lo || g_local_addr >= lo + size);
  CHECK(g_ss_flags == 0);
}

static void t_sigaltstack_errors(void) {
  char buf[256];
  stack_t tiny = {.ss_sp = buf, .ss_flags = 0, .ss_size = sizeof buf};
  EXPECT_ERR(sc(SYS_sigaltstack, &tiny, NULL), ENOMEM);
  stack_t bad = {.ss_sp = buf, .ss_flags = 0x1234, .ss_size = 65536};
  EXPECT_ERR(sc(SYS_sigaltstack, &bad, NULL), EINVAL);
  stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0}, old;
  OK(sc(SYS_sigaltstack, &off, NULL));
  OK(sc(SYS_sigaltstack, NULL, &old));
  CHECK(old.ss_flags == SS_DISABLE);
}

// A stack overflow can only be handled on the alternate stack.
static void h_segv_exit(int sig) {
  (void)sig;
  _exit(0);
}

static void overflow_child(void) {
  size_t size = 64 * 1024;
  void *alt = (void *)OK(sc(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = size};
  OK(sc(SYS_sigaltstack, &ss, NULL));
  set_action(SIGSEGV, h_segv_exit, SA_ONSTACK, 0);
  overflow_stack();
  _exit(SURVIVED);
}

static void t_sigaltstack_overflow(void) { EXPECT_EXIT(child_status(overflow_child), 0); }

// ---------------------------------------------------------------------------------
// Signals: default actions, SIG_IGN, SIGKILL, SIGCHLD

static void t_default_terminate(void) {
  static const int sigs[] = {SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
                             SIGVTALRM, 40};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    long pid = xfork();
    if (pid == 0) {
      kill_self(sigs[i]);
      _exit(SURVIVED);
    }
    EXPECT_EQ(wait_for(pid), sigs[i]);
  }
  static const int core[] = {SIGQUIT, SIGABRT, SIGSEGV, SIGILL, SIGFPE};
  for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) {
    long pid = xfork();
    if (pid == 0) {
      kill_self(core[i]);
      _exit(SURVIVED);
    }
    int st = wait_for(pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == core[i]);
  }
}

static void default_ignore_child(void) {
  static const int sigs[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    OK(kill_self(sigs[i]));
}

static void sig_ign_child(void) {
  static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    set_action(sigs[i], SIG_IGN, 0, 0);
    OK(kill_self(sigs[i]));
  }
  // Ignoring a blocked pending signal discards it.
  set_action(SIGUSR2, SIG_DFL, 0, 0);
  change_mask(SIG_BLOCK, bit(SIGUSR2));
  OK(kill_self(SIGUSR2));
  CHECK(get_pending() == bit(SIGUSR2));
  set_action(SIGUSR2, SIG_IGN, 0, 0);
  CHECK(get_pending() == 0);
  change_mask(SIG_UNBLOCK, bit(SIGUSR2));
}

static void t_default_ignore(void) { EXPECT_EXIT(child_status(default_ignore_child), 0); }
static void t_sig_ign(void) { EXPECT_EXIT(child_status(sig_ign_child), 0); }

// Across execve, caught signals go back to SIG_DFL, ignored ones stay ignored, the
// mask is kept and the alternate stack is dropped (checked by --sigstate).
static void t_exec_signal_state(void) {
  set_action(SIGTERM, SIG_IGN, 0, 0);
  set_action(SIGUSR1, h_count, 0, 0);
  change_mask(SIG_SETMASK, bit(SIGUSR2));
  static char alt[65536];
  stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = sizeof alt};
  OK(sc(SYS_sigaltstack, &ss, NULL));
  char *argv[] = {(char *)g_self, "--sigstate", NULL};
  EXPECT_EXIT(exec_self_status(argv), 0);
}

static void h_never(int sig) { (void)sig; }

static void t_sigkill_uncatchable(void) {
  struct ksigaction sa = {h_never, SA_RESTORER_, sig_restorer, 0}, old;
  EXPECT_ERR(sc(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigaction, SIGSTOP, &sa, NULL, 8), EINVAL);
  sa.handler = SIG_IGN;
  EXPECT_ERR(sc(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigaction, SIGSTOP, &sa, NULL, 8), EINVAL);
  EXPECT_EQ(sc(SYS_rt_sigaction, SIGKILL, NULL, &old, 8), 0);
  CHECK(old.handler == SIG_DFL);
  EXPECT_ERR(sc(SYS_rt_sigaction, 0, &sa, NULL, 8), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigaction, 65, &sa, NULL, 8), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 4), EINVAL);
  long pid = xfork();
  if (pid == 0) { // everything blocked or ignored: SIGKILL still ends it
    change_mask(SIG_SETMASK, ~0ULL);
    for (int s = 1; s < 32; s++)
      if (s != SIGKILL && s != SIGSTOP)
        set_action(s, SIG_IGN, 0, 0);
    pause_forever();
  }
  sleep_ms(20);
  kill_and_reap(pid);
}

// SIGCHLD with SA_SIGINFO reports how the child ended.
static void t_sigchld_info(void) {
  set_action(SIGCHLD, h_info, SA_SIGINFO, 0);
  change_mask(SIG_BLOCK, bit(SIGCHLD));
  uint64_t none = 0;
  long pid = xfork();
  if (pid == 0)
    _exit(42);
  reset_info();
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  EXPECT_INFO(SIGCHLD, CLD_EXITED, pid);
  EXPECT_EQ(g_si_status, 42);
  EXPECT_EQ(wait_for(pid), 42 << 8);
  pid = xfork();
  if (pid == 0) {
    kill_self(SIGTERM);
    _exit(SURVIVED);
  }
  reset_info();
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  EXPECT_INFO(SIGCHLD, CLD_KILLED, pid);
  EXPECT_EQ(g_si_status, SIGTERM);
  EXPECT_EQ(wait_for(pid), SIGTERM);
}

// Stopping and continuing a child also raise SIGCHLD (CLD_STOPPED, CLD_CONTINUED).
static void t_sigchld_stop_cont(void) {
  set_action(SIGCHLD, h_info, SA_SIGINFO, 0);
  change_mask(SIG_BLOCK, bit(SIGCHLD));
  uint64_t none = 0;
  long pid = idle_child();
  OK(sc(SYS_kill, pid, SIGSTOP));
  reset_info();
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  EXPECT_INFO(SIGCHLD, CLD_STOPPED, pid);
  EXPECT_EQ(g_si_status, SIGSTOP);
  OK(sc(SYS_kill, pid, SIGCONT));
  reset_info();
  EXPECT_ERR(sc(SYS_rt_sigsuspend, &none, 8), EINTR);
  EXPECT_INFO(SIGCHLD, CLD_CONTINUED, pid);
  EXPECT_EQ(g_si_status, SIGCONT);
  kill_and_reap(pid);
}

// With SIGCHLD ignored, children are reaped by the kernel: wait4 blocks until they
// have all exited and then fails with ECHILD.
static void t_sigchld_ign_autoreap(void) {
  set_action(SIGCHLD, SIG_IGN, 0, 0);
  long pids[3];
  for (int i = 0; i < 3; i++) {
    pids[i] = xfork();
    if (pids[i] == 0) {
      sleep_ms(20 * i);
      _exit(0);
    }
  }
  int st;
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0, NULL), ECHILD);
  for (int i = 0; i < 3; i++)
    EXPECT_ERR(sc(SYS_kill, pids[i], 0), ESRCH); // no zombies left
}

// ---------------------------------------------------------------------------------
// Signals: corrupt frames given to rt_sigreturn
//
// The handler edits the saved context so that returning to it would run user code
// with kernel privileges or at a kernel address. Vitrine's rule: rt_sigreturn kills
// the process with SIGSEGV and nothing else happens. Linux repairs some fields itself
// (it forces cs's privilege bits to 3 and keeps IOPL), so on the host the only claim
// is that the process dies or carries on, and the test's process is unharmed.

enum { BAD_CS, BAD_IOPL, BAD_RIP, BAD_FPSTATE };
static int g_bad_kind;

static void h_corrupt(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  (void)sig;
  (void)si;
  if (g_bad_kind == BAD_CS)
    g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffLL) | 0x8; // the kernel's code segment
  else if (g_bad_kind == BAD_IOPL)
    g[REG_EFL] |= 0x3000; // IOPL 3: in/out from user mode
  else if (g_bad_kind == BAD_RIP)
    g[REG_RIP] = (greg_t)0xffffffff80100000ULL; // the kernel image
  else
    uc->uc_mcontext.fpregs = (void *)0xffff800000001000ULL; // a kernel address
}

static void corrupt_frame_child(void) {
  set_action(SIGUSR1, h_corrupt, SA_SIGINFO, 0);
  kill_self(SIGUSR1);
  _exit(SURVIVED);
}

static void expect_bad_frame_killed(int kind) {
  g_bad_kind = kind;
  long me = sc(SYS_getpid);
  int st = child_status(corrupt_frame_child);
  if (g_vitrine)
    EXPECT_KILLED(st, SIGSEGV);
  else
    CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == SURVIVED));
  CHECK(sc(SYS_getpid) == me);
  long pid = xfork(); // the system still works
  if (pid == 0)
    _exit(0);
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_sigreturn_bad_cs(void) { expect_bad_frame_killed(BAD_CS); }
static void t_sigreturn_bad_iopl(void) { expect_bad_frame_killed(BAD_IOPL); }
static void t_sigreturn_bad_rip(void) { expect_bad_frame_killed(BAD_RIP); }
static void t_sigreturn_bad_fpstate(void) { expect_bad_frame_killed(BAD_FPSTATE); }

// ---------------------------------------------------------------------------------
// Pipes

static void t_pipe_basic(void) {
  int p[2] = {-1, -1};
  xpipe(p);
  CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
  struct stat st;
  OK(sc(SYS_fstat, p[0], &st));
  CHECK(S_ISFIFO(st.st_mode));
  EXPECT_EQ(sc(SYS_read, p[0], NULL, 0), 0); // empty, and a writer: 0 bytes at once
  EXPECT_EQ(sc(SYS_write, p[1], "hello", 5), 5);
  char b[16];
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 5); // what is there, not what was asked
  CHECK(memcmp(b, "hello", 5) == 0);
  EXPECT_ERR(sc(SYS_read, p[1], b, 1), EBADF);
  EXPECT_ERR(sc(SYS_write, p[0], "x", 1), EBADF);
  EXPECT_EQ(sc(SYS_write, p[1], "ab", 2), 2);
  xclose(p[1]);
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 2); // data outlives the writer
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 0); // then end of file, every time
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 0);
  EXPECT_ERR(sc(SYS_pipe2, NULL, 0), EFAULT);
  EXPECT_ERR(sc(SYS_pipe2, p, O_APPEND), EINVAL);
}

static void t_pipe2_flags(void) {
  int p[2];
  OK(sc(SYS_pipe2, p, O_CLOEXEC));
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(sc(SYS_fcntl, p[1], F_GETFD), FD_CLOEXEC);
  CHECK((sc(SYS_fcntl, p[0], F_GETFL) & O_NONBLOCK) == 0);
  OK(sc(SYS_pipe2, p, O_NONBLOCK));
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFD), 0);
  CHECK(sc(SYS_fcntl, p[0], F_GETFL) & O_NONBLOCK);
  CHECK(sc(SYS_fcntl, p[1], F_GETFL) & O_NONBLOCK);
  char b[4096];
  memset(b, 'z', sizeof b);
  EXPECT_ERR(sc(SYS_read, p[0], b, 1), EAGAIN);
  long total = 0, r;
  while ((r = sc(SYS_write, p[1], b, sizeof b)) > 0 && total < (1 << 24))
    total += r;
  CHECK(r == -1 && errno == EAGAIN); // full, and a nonblocking writer is told so
  CHECK(total >= 4096);
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), sizeof b);
  EXPECT_EQ(sc(SYS_write, p[1], b, 100), 100); // room again
}

// A reader blocks until data comes, gets what there is, and sees EOF once the last
// writer has gone.
static void t_pipe_blocking(void) {
  int p[2];
  xpipe(p);
  long pid = xfork();
  if (pid == 0) {
    xclose(p[0]);
    sleep_ms(50);
    send_byte(p[1], 'a');
    sleep_ms(50);
    CHECK(sc(SYS_write, p[1], "bb", 2) == 2);
    _exit(0);
  }
  xclose(p[1]);
  char b[8];
  long t0 = now_ms();
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 1);
  CHECK(b[0] == 'a' && now_ms() - t0 >= 40);
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 2);
  EXPECT_EQ(sc(SYS_read, p[0], b, sizeof b), 0);
  EXPECT_EXIT(wait_for(pid), 0);
}

// Writing with no reader left: SIGPIPE, which kills by default; ignored or blocked,
// the write fails with EPIPE (and, blocked, SIGPIPE stays pending).
static void epipe_default(void) {
  int p[2];
  xpipe(p);
  xclose(p[0]);
  sc(SYS_write, p[1], "x", 1);
  _exit(SURVIVED);
}

static void t_pipe_epipe(void) {
  EXPECT_EQ(child_status(epipe_default), SIGPIPE);
  int p[2];
  xpipe(p);
  xclose(p[0]);
  set_action(SIGPIPE, SIG_IGN, 0, 0);
  EXPECT_ERR(sc(SYS_write, p[1], "x", 1), EPIPE);
  set_action(SIGPIPE, SIG_DFL, 0, 0);
  change_mask(SIG_BLOCK, bit(SIGPIPE));
  EXPECT_ERR(sc(SYS_write, p[1], "x", 1), EPIPE);
  EXPECT_EQ(get_pending(), bit(SIGPIPE));
  set_action(SIGPIPE, SIG_IGN, 0, 0); // discard it before the mask goes
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + i / 251); }

// One blocking write much larger than the pipe completes in full, in order.
static void t_pipe_large(void) {
  enum { SIZE = 1 << 20 };
  static unsigned char buf[SIZE];
  int p[2];
  xpipe(p);
  long pid = xfork();
  if (pid == 0) {
    xclose(p[0]);
    for (size_t i = 0; i < SIZE; i++)
      buf[i] = pattern(i);
    _exit(sc(SYS_write, p[1], buf, SIZE) == SIZE ? 0 : 1);
  }
  xclose(p[1]);
  size_t got = 0;
  long r;
  while ((r = sc(SYS_read, p[0], buf + got, got + 10000 > SIZE ? SIZE - got : 10000)) > 0)
    got += r;
  CHECK(r == 0 && got == SIZE);
  for (size_t i = 0; i < SIZE; i++)
    if (buf[i] != pattern(i))
      fail_at(__LINE__, "byte %zu is %#x, want %#x", i, buf[i], pattern(i));
  EXPECT_EXIT(wait_for(pid), 0);
}

// Writes of up to PIPE_BUF bytes are atomic: two writers' records never interleave.
static void t_pipe_atomic(void) {
  enum { REC = 4096, NREC = 64 };
  int p[2];
  xpipe(p);
  long w[2];
  for (int k = 0; k < 2; k++) {
    w[k] = xfork();
    if (w[k] == 0) {
      static char rec[REC];
      memset(rec, 'A' + k, REC);
      for (int i = 0; i < NREC; i++)
        if (sc(SYS_write, p[1], rec, REC) != REC)
          _exit(1);
      _exit(0);
    }
  }
  xclose(p[1]);
  static char rec[REC];
  int count[2] = {0, 0};
  while (read_full(p[0], rec, REC) == REC) {
    CHECK(rec[0] == 'A' || rec[0] == 'B');
    for (int i = 1; i < REC; i++)
      if (rec[i] != rec[0])
        fail_at(__LINE__, "record %d mixes %c and %c", count[0] + count[1], rec[0], rec[i]);
    count[rec[0] - 'A']++;
  }
  CHECK(count[0] == NREC && count[1] == NREC);
  for (int k = 0; k < 2; k++)
    EXPECT_EXIT(wait_for(w[k]), 0);
}

static void t_pipe_espipe(void) {
  int p[2];
  xpipe(p);
  char b[4];
  EXPECT_ERR(sc(SYS_lseek, p[0], 0, SEEK_SET), ESPIPE);
  EXPECT_ERR(sc(SYS_lseek, p[1], 0, SEEK_CUR), ESPIPE);
  EXPECT_ERR(sc(SYS_pread64, p[0], b, 1, 0), ESPIPE);
  EXPECT_ERR(sc(SYS_pwrite64, p[1], b, 1, 0), ESPIPE);
}

// ---------------------------------------------------------------------------------
// dup, dup2, dup3, fcntl

static int open_self(void) { return OK(sc(SYS_open, g_self, O_RDONLY, 0)); }

static void t_dup(void) {
  int fd = open_self();
  int d = OK(sc(SYS_dup, fd));
  CHECK(d > fd);
  char b[4];
  CHECK(sc(SYS_read, fd, b, 4) == 4);
  EXPECT_EQ(sc(SYS_lseek, d, 0, SEEK_CUR), 4); // one open file, one offset
  OK(sc(SYS_close, d));
  EXPECT_EQ(sc(SYS_dup, fd), d); // lowest free
  EXPECT_ERR(sc(SYS_dup, 9999), EBADF);
  EXPECT_ERR(sc(SYS_dup, -1), EBADF);
  OK(sc(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
  int nd = OK(sc(SYS_dup, fd));
  EXPECT_EQ(sc(SYS_fcntl, nd, F_GETFD), 0); // the copy is not close-on-exec
}

static void t_dup2(void) {
  int fd = open_self();
  EXPECT_EQ(sc(SYS_dup2, fd, 50), 50);
  EXPECT_EQ(sc(SYS_lseek, 50, 3, SEEK_SET), 3);
  EXPECT_EQ(sc(SYS_lseek, fd, 0, SEEK_CUR), 3);
  EXPECT_EQ(sc(SYS_dup2, fd, fd), fd); // a no-op on a valid fd
  EXPECT_ERR(sc(SYS_dup2, 9999, 51), EBADF);
  EXPECT_ERR(sc(SYS_dup2, 9999, 9999), EBADF);
  EXPECT_ERR(sc(SYS_dup2, fd, -1), EBADF);
  struct rlimit rl;
  OK(sc(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl));
  EXPECT_ERR(sc(SYS_dup2, fd, rl.rlim_cur), EBADF);
  // dup2 onto an open descriptor closes it first: here the pipe's only write end.
  int p[2];
  xpipe(p);
  EXPECT_EQ(sc(SYS_dup2, fd, p[1]), p[1]);
  char b[1];
  EXPECT_EQ(sc(SYS_read, p[0], b, 1), 0);
  OK(sc(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
  EXPECT_EQ(sc(SYS_dup2, fd, 52), 52);
  EXPECT_EQ(sc(SYS_fcntl, 52, F_GETFD), 0);
}

static void t_dup3(void) {
  int fd = open_self();
  EXPECT_ERR(sc(SYS_dup3, fd, fd, 0), EINVAL);
  EXPECT_ERR(sc(SYS_dup3, fd, 60, O_WRONLY), EINVAL); // only O_CLOEXEC is allowed
  EXPECT_EQ(sc(SYS_dup3, fd, 60, O_CLOEXEC), 60);
  EXPECT_EQ(sc(SYS_fcntl, 60, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(sc(SYS_dup3, fd, 61, 0), 61);
  EXPECT_EQ(sc(SYS_fcntl, 61, F_GETFD), 0);
  EXPECT_ERR(sc(SYS_dup3, 9999, 62, 0), EBADF);
}

// Status flags (O_NONBLOCK, O_APPEND) belong to the open file and are shared by
// duplicates; descriptor flags (FD_CLOEXEC) are per descriptor.
static void t_fcntl_flags(void) {
  int p[2];
  xpipe(p);
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(sc(SYS_fcntl, p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
  int d = OK(sc(SYS_dup, p[0]));
  OK(sc(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK | O_WRONLY)); // access mode is ignored
  CHECK(sc(SYS_fcntl, d, F_GETFL) & O_NONBLOCK);
  EXPECT_EQ(sc(SYS_fcntl, d, F_GETFL) & O_ACCMODE, O_RDONLY);
  char b[1];
  EXPECT_ERR(sc(SYS_read, d, b, 1), EAGAIN);
  OK(sc(SYS_fcntl, d, F_SETFL, 0));
  CHECK((sc(SYS_fcntl, p[0], F_GETFL) & O_NONBLOCK) == 0);
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFD), 0);
  OK(sc(SYS_fcntl, p[0], F_SETFD, FD_CLOEXEC));
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(sc(SYS_fcntl, d, F_GETFD), 0);
  OK(sc(SYS_fcntl, p[0], F_SETFD, 0));
  EXPECT_EQ(sc(SYS_fcntl, p[0], F_GETFD), 0);
  EXPECT_ERR(sc(SYS_fcntl, 9999, F_GETFD), EBADF);
  EXPECT_ERR(sc(SYS_fcntl, 9999, F_GETFL), EBADF);
  EXPECT_ERR(sc(SYS_fcntl, p[0], 9999), EINVAL);
}

static void t_fcntl_append(void) {
  const char *path = tmp_path("append");
  int fd = OK(sc(SYS_open, path, O_RDWR | O_CREAT | O_TRUNC, 0600));
  sc(SYS_unlink, path);
  CHECK(sc(SYS_write, fd, "abc", 3) == 3);
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  OK(sc(SYS_fcntl, fd, F_SETFL, O_APPEND));
  CHECK(sc(SYS_fcntl, fd, F_GETFL) & O_APPEND);
  CHECK(sc(SYS_write, fd, "d", 1) == 1);
  char b[8];
  EXPECT_EQ(sc(SYS_pread64, fd, b, sizeof b, 0), 4);
  CHECK(memcmp(b, "abcd", 4) == 0);
}

// The lowest descriptor at or above from that is not open (whoever started us may
// have left some open).
static int lowest_free(int from) {
  while (sc(SYS_fcntl, from, F_GETFD) != -1)
    from++;
  return from;
}

static void t_fcntl_dupfd(void) {
  int fd = open_self();
  int want = lowest_free(10);
  int a = OK(sc(SYS_fcntl, fd, F_DUPFD, 10));
  EXPECT_EQ(a, want);
  EXPECT_EQ(sc(SYS_fcntl, a, F_GETFD), 0);
  want = lowest_free(10); // the next one up
  EXPECT_EQ(sc(SYS_fcntl, fd, F_DUPFD, 10), want);
  want = lowest_free(20);
  int b = OK(sc(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 20));
  EXPECT_EQ(b, want);
  EXPECT_EQ(sc(SYS_fcntl, b, F_GETFD), FD_CLOEXEC);
  want = lowest_free(0);
  EXPECT_EQ(sc(SYS_fcntl, fd, F_DUPFD, 0), want);
  struct rlimit rl;
  OK(sc(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl));
  EXPECT_ERR(sc(SYS_fcntl, fd, F_DUPFD, rl.rlim_cur), EINVAL);
  EXPECT_ERR(sc(SYS_fcntl, fd, F_DUPFD, -1), EINVAL);
  EXPECT_ERR(sc(SYS_fcntl, 9999, F_DUPFD, 0), EBADF);
}

// Fill the table with /dev/null; everything that makes a descriptor then fails with
// EMFILE, and closing one makes exactly that one available again. The limit is cut
// to 1024 first on a host that allows more.
static void t_emfile(void) {
  struct rlimit rl;
  OK(sc(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl));
  if (rl.rlim_cur > 1024) {
    rl.rlim_cur = 1024;
    OK(sc(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL));
  }
  long n = rl.rlim_cur, r, opened = 0;
  while ((r = sc(SYS_open, "/dev/null", O_RDONLY, 0)) >= 0 && opened <= n)
    opened++;
  CHECK(r == -1 && errno == EMFILE);
  CHECK(opened > 0);
  OK(sc(SYS_fcntl, n - 1, F_GETFD)); // every slot below the limit is in use
  EXPECT_ERR(sc(SYS_dup, 0), EMFILE);
  EXPECT_ERR(sc(SYS_fcntl, 0, F_DUPFD, 0), EMFILE);
  int p[2];
  EXPECT_ERR(sc(SYS_pipe2, p, 0), EMFILE);
  EXPECT_EQ(sc(SYS_dup2, 0, n - 1), n - 1); // replacing is fine
  OK(sc(SYS_close, 7));
  EXPECT_EQ(sc(SYS_open, "/dev/null", O_RDONLY, 0), 7);
  EXPECT_ERR(sc(SYS_open, "/dev/null", O_RDONLY, 0), EMFILE);
}

// ---------------------------------------------------------------------------------
// poll, ppoll

static short revents1(int fd, short events) {
  struct pollfd pf = {fd, events, 0};
  long r = OK(sc(SYS_poll, &pf, 1, 0));
  CHECK(r == (pf.revents != 0));
  return pf.revents;
}

static void t_poll_pipe(void) {
  int p[2];
  xpipe(p);
  EXPECT_EQ(revents1(p[0], POLLIN), 0);
  EXPECT_EQ(revents1(p[1], POLLOUT), POLLOUT);
  CHECK(sc(SYS_write, p[1], "x", 1) == 1);
  EXPECT_EQ(revents1(p[0], POLLIN | POLLOUT), POLLIN);
  xclose(p[1]);
  EXPECT_EQ(revents1(p[0], POLLIN), POLLIN | POLLHUP); // data left, writer gone
  char b;
  CHECK(sc(SYS_read, p[0], &b, 1) == 1);
  EXPECT_EQ(revents1(p[0], POLLIN), POLLHUP);
  EXPECT_EQ(revents1(p[0], 0), POLLHUP); // reported even when not asked for
  int q[2];
  xpipe(q);
  xclose(q[0]);
  CHECK(revents1(q[1], POLLOUT) & POLLERR); // reader gone
  struct pollfd pf[3] = {{-1, POLLIN, 77}, {9999, POLLIN, 0}, {p[0], POLLIN, 0}};
  EXPECT_EQ(sc(SYS_poll, pf, 3, 0), 2);
  CHECK(pf[0].revents == 0 && pf[1].revents == POLLNVAL && pf[2].revents == POLLHUP);
  EXPECT_ERR(sc(SYS_poll, pf, 0x7fffffff, 0), EINVAL);
}

static void t_poll_timeout(void) {
  int p[2];
  xpipe(p);
  struct pollfd pf = {p[0], POLLIN, 0};
  long t0 = now_ms();
  EXPECT_EQ(sc(SYS_poll, &pf, 1, 0), 0);
  EXPECT_EQ(sc(SYS_poll, &pf, 1, 50), 0);
  long dt = now_ms() - t0;
  CHECK(dt >= 50 && dt < 5000);
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(50);
    send_byte(p[1], 'w');
    _exit(0);
  }
  EXPECT_EQ(sc(SYS_poll, &pf, 1, -1), 1); // woken by the write
  EXPECT_EQ(pf.revents, POLLIN);
  EXPECT_EXIT(wait_for(pid), 0);
}

// ppoll's timeout is a timespec and its mask is swapped in while it waits, so a
// signal blocked outside can interrupt it (EINTR) and the mask comes back afterwards.
static void t_ppoll(void) {
  int p[2];
  xpipe(p);
  struct pollfd pf = {p[0], POLLIN, 0};
  struct timespec zero = {0, 0}, t50 = {0, 50 * 1000000}, bad = {0, 1000000000};
  EXPECT_EQ(sc(SYS_ppoll, &pf, 1, &zero, NULL, 8), 0);
  long t0 = now_ms();
  EXPECT_EQ(sc(SYS_ppoll, &pf, 1, &t50, NULL, 8), 0);
  CHECK(now_ms() - t0 >= 50);
  EXPECT_ERR(sc(SYS_ppoll, &pf, 1, &bad, NULL, 8), EINVAL);
  uint64_t none = 0;
  EXPECT_ERR(sc(SYS_ppoll, &pf, 1, &zero, &none, 4), EINVAL);
  set_action(SIGUSR1, h_count, 0, 0);
  change_mask(SIG_SETMASK, bit(SIGUSR1));
  long c = signal_later(sc(SYS_getpid), SIGUSR1, 50);
  EXPECT_ERR(sc(SYS_ppoll, &pf, 1, NULL, &none, 8), EINTR);
  CHECK(g_hits[SIGUSR1] == 1);
  EXPECT_EQ(get_mask(), bit(SIGUSR1));
  EXPECT_EXIT(wait_for(c), 0);
}

// ---------------------------------------------------------------------------------
// Directories: getdents64, chdir, fchdir, getcwd

struct dent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

// Every entry read with a buffer of bufsize bytes, as "name/type " words in the
// order given; fails on a malformed record.
static void list_dir(int fd, size_t bufsize, char *out, size_t outsize) {
  char buf[4096] __attribute__((aligned(8)));
  size_t used = 0;
  long n;
  out[0] = 0;
  while ((n = OK(sc(SYS_getdents64, fd, buf, bufsize))) > 0) {
    for (long at = 0; at < n;) {
      struct dent64 *d = (struct dent64 *)(buf + at);
      CHECK(d->reclen >= offsetof(struct dent64, name) + 2 && d->reclen % 8 == 0 &&
            at + d->reclen <= n);
      CHECK(d->ino != 0);
      used += snprintf(out + used, outsize - used, "%s/%d ", d->name, d->type);
      CHECK(used < outsize);
      at += d->reclen;
    }
  }
}

// The same words sorted, so the check does not depend on directory order.
static void sort_words(char *s) {
  char *w[32];
  int n = 0;
  for (char *t = strtok(s, " "); t && n < 32; t = strtok(NULL, " "))
    w[n++] = t;
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(w[j - 1], w[j]) > 0; j--) {
      char *x = w[j];
      w[j] = w[j - 1];
      w[j - 1] = x;
    }
  char tmp[512];
  size_t used = 0;
  tmp[0] = 0;
  for (int i = 0; i < n; i++)
    used += snprintf(tmp + used, sizeof tmp - used, "%s ", w[i]);
  strcpy(s, tmp);
}

static void t_getdents64(void) {
  const char *dir = tmp_path("dir");
  char path[160], got[512], want[160];
  OK(sc(SYS_mkdir, dir, 0755));
  static const char *files[] = {"a", "bb", "ccc"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    write_file(path, "", 0644);
  }
  snprintf(path, sizeof path, "%s/sub", dir);
  OK(sc(SYS_mkdir, path, 0755));
  int fd = OK(sc(SYS_open, dir, O_RDONLY | O_DIRECTORY, 0));
  snprintf(want, sizeof want, "../%d ./%d a/%d bb/%d ccc/%d sub/%d ", DT_DIR, DT_DIR,
           DT_REG, DT_REG, DT_REG, DT_DIR);
  list_dir(fd, 4096, got, sizeof got);
  sort_words(got);
  if (strcmp(got, want) != 0)
    fail_at(__LINE__, "entries [%s], want [%s]", got, want);
  EXPECT_EQ(sc(SYS_getdents64, fd, got, sizeof got), 0); // stays at the end
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  list_dir(fd, 32, got, sizeof got); // one entry per call
  sort_words(got);
  if (strcmp(got, want) != 0)
    fail_at(__LINE__, "entries with a small buffer [%s], want [%s]", got, want);
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  EXPECT_ERR(sc(SYS_getdents64, fd, got, 16), EINVAL); // no room for one entry
  int file = open_self();
  EXPECT_ERR(sc(SYS_getdents64, file, got, sizeof got), ENOTDIR);
  EXPECT_ERR(sc(SYS_getdents64, 9999, got, sizeof got), EBADF);
  OK(sc(SYS_rmdir, path));
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    OK(sc(SYS_unlink, path));
  }
  OK(sc(SYS_rmdir, dir));
}

static void expect_cwd_at(int line, const char *want) {
  char b[512];
  long r = sc(SYS_getcwd, b, sizeof b);
  if (r != (long)strlen(want) + 1 || strcmp(b, want) != 0)
    fail_at(line, "getcwd returned %ld [%s], want [%s]", r, r > 0 ? b : "", want);
}
#define EXPECT_CWD(want) expect_cwd_at(__LINE__, (want))

static void t_chdir(void) {
  const char *dir = tmp_path("cwd");
  OK(sc(SYS_chdir, "/tmp"));
  EXPECT_CWD("/tmp");
  OK(sc(SYS_mkdir, dir, 0755));
  OK(sc(SYS_chdir, dir + 5)); // relative to /tmp
  EXPECT_CWD(dir);
  write_file("f", "relative", 0644);
  char path[160];
  snprintf(path, sizeof path, "%s/f", dir);
  struct stat st;
  OK(sc(SYS_stat, path, &st));
  CHECK(st.st_size == 8);
  long pid = xfork();
  if (pid == 0) { // inherited, and private from then on
    EXPECT_CWD(dir);
    OK(sc(SYS_chdir, "/"));
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_CWD(dir);
  OK(sc(SYS_chdir, ".."));
  EXPECT_CWD("/tmp");
  int root = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  OK(sc(SYS_fchdir, root));
  EXPECT_CWD("/");
  int file = open_self();
  EXPECT_ERR(sc(SYS_fchdir, file), ENOTDIR);
  EXPECT_ERR(sc(SYS_fchdir, 9999), EBADF);
  EXPECT_ERR(sc(SYS_chdir, g_self), ENOTDIR);
  EXPECT_ERR(sc(SYS_chdir, "/no-such-dir-vitrine"), ENOENT);
  char b[4];
  EXPECT_ERR(sc(SYS_getcwd, b, 1), ERANGE);
  OK(sc(SYS_unlink, path));
  OK(sc(SYS_rmdir, dir));
}

// ---------------------------------------------------------------------------------
// readlink /proc/self/exe, access, faccessat, sendfile

static void t_proc_self_exe(void) {
  char b[4096];
  long n = OK(sc(SYS_readlink, "/proc/self/exe", b, sizeof b));
  if (n != (long)strlen(g_self) || memcmp(b, g_self, n) != 0)
    fail_at(__LINE__, "/proc/self/exe is [%.*s], want [%s]", (int)n, b, g_self);
  memset(b, '#', sizeof b);
  EXPECT_EQ(sc(SYS_readlink, "/proc/self/exe", b, 3), 3); // truncated, no NUL
  CHECK(memcmp(b, g_self, 3) == 0 && b[3] == '#');
  EXPECT_ERR(sc(SYS_readlink, g_self, b, sizeof b), EINVAL); // not a symlink
  EXPECT_ERR(sc(SYS_readlink, "/no-such-file-vitrine", b, sizeof b), ENOENT);
  EXPECT_ERR(sc(SYS_readlink, "/proc/self/exe", b, 0), EINVAL);
}

// access checks with the real ids; root passes read and write checks on any file but
// execute only where some x bit is set.
static void t_access(void) {
  need_root();
  const char *f = tmp_path("acc");
  write_file(f, "secret", 0600);
  EXPECT_EQ(sc(SYS_access, g_self, R_OK | X_OK), 0);
  EXPECT_EQ(sc(SYS_access, "/", W_OK), 0);
  EXPECT_EQ(sc(SYS_access, f, R_OK | W_OK), 0);
  EXPECT_ERR(sc(SYS_access, f, X_OK), EACCES);
  EXPECT_ERR(sc(SYS_access, "/no-such-file-vitrine", F_OK), ENOENT);
  EXPECT_ERR(sc(SYS_access, g_self, 8), EINVAL);
  int root = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  EXPECT_EQ(sc(SYS_faccessat, root, g_self + 1, X_OK), 0);
  EXPECT_EQ(sc(SYS_faccessat, AT_FDCWD, g_self, R_OK), 0);
  EXPECT_ERR(sc(SYS_faccessat, root, "no-such-file-vitrine", F_OK), ENOENT);
  long pid = xfork();
  if (pid == 0) { // real uid 1000, effective 0: access says no, open says yes
    OK(sc(SYS_setresuid, 1000, 0, 0));
    EXPECT_ERR(sc(SYS_access, f, R_OK), EACCES);
    EXPECT_EQ(sc(SYS_access, f, F_OK), 0);
    OK(sc(SYS_close, OK(sc(SYS_open, f, O_RDONLY, 0))));
    OK(sc(SYS_setresuid, 1000, 1000, 1000)); // and fully unprivileged, open fails too
    EXPECT_ERR(sc(SYS_open, f, O_RDONLY, 0), EACCES);
    _exit(0);
  }
  int st = wait_for(pid);
  sc(SYS_unlink, f);
  EXPECT_EXIT(st, 0);
}

// sendfile copies from a file into a pipe: with an offset pointer it advances that
// and leaves the file's offset alone, without one it uses and moves the file offset.
static void t_sendfile(void) {
  enum { SIZE = 3000 };
  char data[SIZE], got[SIZE];
  for (int i = 0; i < SIZE; i++)
    data[i] = (char)pattern(i);
  const char *path = tmp_path("sendfile");
  int fd = OK(sc(SYS_open, path, O_RDWR | O_CREAT | O_TRUNC, 0600));
  sc(SYS_unlink, path);
  CHECK(sc(SYS_write, fd, data, SIZE) == SIZE);
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  int p[2];
  xpipe(p);
  long long off = 1000;
  EXPECT_EQ(sc(SYS_sendfile, p[1], fd, &off, 500), 500);
  CHECK(off == 1500);
  EXPECT_EQ(sc(SYS_lseek, fd, 0, SEEK_CUR), 0);
  CHECK(read_full(p[0], got, 500) == 500 && memcmp(got, data + 1000, 500) == 0);
  EXPECT_EQ(sc(SYS_sendfile, p[1], fd, NULL, 700), 700);
  EXPECT_EQ(sc(SYS_lseek, fd, 0, SEEK_CUR), 700);
  CHECK(read_full(p[0], got, 700) == 700 && memcmp(got, data, 700) == 0);
  off = 2800;
  EXPECT_EQ(sc(SYS_sendfile, p[1], fd, &off, 500), 200); // short at end of file
  CHECK(off == SIZE);
  CHECK(read_full(p[0], got, 200) == 200 && memcmp(got, data + 2800, 200) == 0);
  EXPECT_EQ(sc(SYS_sendfile, p[1], fd, &off, 500), 0);
  EXPECT_ERR(sc(SYS_sendfile, p[1], 9999, NULL, 10), EBADF);
  EXPECT_ERR(sc(SYS_sendfile, 9999, fd, NULL, 10), EBADF);
  EXPECT_ERR(sc(SYS_sendfile, p[0], fd, NULL, 10), EBADF); // the read end
}

// ---------------------------------------------------------------------------------
// User and group ids

static void expect_res_at(int line, long which, long r, long e, long s) {
  unsigned int a = 7, b = 7, c = 7;
  OK(sc(which, &a, &b, &c));
  if ((long)a != r || (long)b != e || (long)c != s)
    fail_at(line, "ids are %u %u %u, want %ld %ld %ld", a, b, c, r, e, s);
}
#define EXPECT_RESUID(r, e, s) expect_res_at(__LINE__, SYS_getresuid, (r), (e), (s))
#define EXPECT_RESGID(r, e, s) expect_res_at(__LINE__, SYS_getresgid, (r), (e), (s))

static void t_getresuid(void) {
  need_root();
  EXPECT_RESUID(0, 0, 0);
  EXPECT_RESGID(0, 0, 0);
  CHECK(sc(SYS_getuid) == 0 && sc(SYS_geteuid) == 0);
  CHECK(sc(SYS_getgid) == 0 && sc(SYS_getegid) == 0);
  unsigned int x;
  EXPECT_ERR(sc(SYS_getresuid, NULL, &x, &x), EFAULT);
}

// As root setuid and setgid set all three ids; once no id is 0 there is no way back.
static void setuid_drop_child(void) {
  OK(sc(SYS_setresgid, 100, 101, 102));
  EXPECT_RESGID(100, 101, 102);
  OK(sc(SYS_setgid, 5));
  EXPECT_RESGID(5, 5, 5);
  OK(sc(SYS_setuid, 1000));
  EXPECT_RESUID(1000, 1000, 1000);
  CHECK(sc(SYS_getuid) == 1000 && sc(SYS_geteuid) == 1000);
  EXPECT_ERR(sc(SYS_setuid, 0), EPERM);
  EXPECT_ERR(sc(SYS_setresuid, 0, -1, -1), EPERM);
  EXPECT_ERR(sc(SYS_setresuid, -1, 0, -1), EPERM);
  EXPECT_ERR(sc(SYS_setreuid, 0, -1), EPERM);
  EXPECT_ERR(sc(SYS_setreuid, -1, 0), EPERM);
  EXPECT_EQ(sc(SYS_setuid, 1000), 0);
  EXPECT_EQ(sc(SYS_setresuid, -1, -1, -1), 0);
  EXPECT_ERR(sc(SYS_setgid, 0), EPERM);
  EXPECT_ERR(sc(SYS_setresgid, -1, 0, -1), EPERM);
  EXPECT_ERR(sc(SYS_setregid, 0, -1), EPERM);
  EXPECT_EQ(sc(SYS_setgid, 5), 0);
  EXPECT_RESUID(1000, 1000, 1000);
  EXPECT_RESGID(5, 5, 5);
}

// An unprivileged process may set each id to any of its current real, effective or
// saved ids; a saved uid of 0 is the way back to root.
static void setresuid_child(void) {
  OK(sc(SYS_setresuid, 1000, 1001, 0));
  EXPECT_RESUID(1000, 1001, 0);
  OK(sc(SYS_setresuid, -1, 0, -1));
  EXPECT_RESUID(1000, 0, 0);
  OK(sc(SYS_setresuid, 2000, 2001, 2002));
  EXPECT_RESUID(2000, 2001, 2002);
  OK(sc(SYS_setresuid, -1, 2002, -1));
  OK(sc(SYS_setresuid, -1, 2000, -1));
  EXPECT_ERR(sc(SYS_setresuid, -1, 3000, -1), EPERM);
  OK(sc(SYS_setresuid, 2002, -1, 2000));
  EXPECT_RESUID(2002, 2000, 2000);
  EXPECT_ERR(sc(SYS_setresuid, 2001, -1, -1), EPERM);
}

// setuid by an unprivileged process whose saved uid is 0 sets the effective uid only.
static void setuid_saved_child(void) {
  OK(sc(SYS_setresuid, 1000, 1000, 0));
  OK(sc(SYS_setuid, 0));
  EXPECT_RESUID(1000, 0, 0);
  OK(sc(SYS_setuid, 0)); // privileged again: now all three
  EXPECT_RESUID(0, 0, 0);
}

// setreuid: the real uid may become the real or effective one; the effective uid
// the real, effective or saved one; and the saved uid follows the new effective uid
// when the real uid is set or the effective one differs from the old real one.
static void setreuid_child(void) {
  OK(sc(SYS_setreuid, 1001, 1002));
  EXPECT_RESUID(1001, 1002, 1002);
  OK(sc(SYS_setreuid, -1, 1001));
  EXPECT_RESUID(1001, 1001, 1002);
  OK(sc(SYS_setreuid, -1, 1002));
  EXPECT_RESUID(1001, 1002, 1002);
  OK(sc(SYS_setreuid, 1002, -1));
  EXPECT_RESUID(1002, 1002, 1002);
  EXPECT_ERR(sc(SYS_setreuid, 1001, -1), EPERM);
  EXPECT_ERR(sc(SYS_setreuid, -1, 1001), EPERM);
}

// As root, fn in a child (the ids it changes are its own) must exit 0.
static void root_child(void (*fn)(void)) {
  need_root();
  EXPECT_EXIT(child_status(fn), 0);
}
static void t_setuid_drop(void) { root_child(setuid_drop_child); }
static void t_setresuid(void) { root_child(setresuid_child); }
static void t_setuid_saved(void) { root_child(setuid_saved_child); }
static void t_setreuid(void) { root_child(setreuid_child); }

// /tests/setuid-probe (tests/guest/helpers/setuid-probe.c), installed owned by root with mode 4755,
// prints "ruid=R euid=E". Run by uid 1000 it must print "ruid=1000 euid=0".
// Registered only where the probe exists.
#define SETUID_PROBE "/tests/setuid-probe"

static void t_setuid_exec(void) {
  need_root();
  struct stat st;
  OK(sc(SYS_stat, SETUID_PROBE, &st));
  CHECK(st.st_uid == 0 && (st.st_mode & S_ISUID));
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setresuid, 1000, 1000, 1000));
    char out[64];
    char *argv[] = {SETUID_PROBE, NULL};
    EXPECT_EXIT(run_capture(argv, out, sizeof out), 0);
    if (strcmp(out, "ruid=1000 euid=0\n") != 0)
      fail_at(__LINE__, "probe printed [%s], want [ruid=1000 euid=0]", out);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

// ---------------------------------------------------------------------------------
// Fork bomb
//
// An unprivileged process forks until fork fails: it must fail with EAGAIN (the
// process limit, not ENOMEM and not a crash), keep failing while the children live,
// and after they are all killed and reaped everything works again. On the host the
// limit is RLIMIT_NPROC, set low first so as not to fill the machine; Vitrine stops
// at its own limit.

#define BOMB_CAP 100000

static void bomb_child(void) {
  if (!g_vitrine) {
    struct rlimit rl = {64, 64};
    OK(sc(SYS_prlimit64, 0, RLIMIT_NPROC, &rl, NULL));
  }
  OK(sc(SYS_setuid, 1000));
  static long kids[BOMB_CAP];
  long n = 0, r;
  while (n < BOMB_CAP && (r = sc(SYS_fork)) >= 0) {
    if (r == 0)
      pause_forever();
    kids[n++] = r;
  }
  int e = errno;
  if (n == BOMB_CAP)
    fail_at(__LINE__, "%d forks and no limit", BOMB_CAP);
  if (e != EAGAIN)
    fail_at(__LINE__, "fork %ld failed with errno %d, want EAGAIN", n + 1, e);
  EXPECT_ERR(sc(SYS_fork), EAGAIN);
  CHECK(n >= 8);
  for (long i = 0; i < n; i++)
    OK(sc(SYS_kill, kids[i], SIGKILL));
  for (long i = 0; i < n; i++)
    EXPECT_KILLED(wait_for(kids[i]), SIGKILL);
  EXPECT_ERR(sc(SYS_wait4, -1, NULL, WNOHANG, NULL), ECHILD);
  long again = xfork(); // room again
  if (again == 0)
    _exit(0);
  EXPECT_EXIT(wait_for(again), 0);
}

static void t_fork_bomb(void) {
  need_root();
  EXPECT_EXIT(child_status(bomb_child), 0);
  long pid = xfork();
  if (pid == 0)
    _exit(0);
  EXPECT_EXIT(wait_for(pid), 0);
}

// ---------------------------------------------------------------------------------
// Helper modes: this binary re-executed by the tests (argv[1] selects the check)

// --argv-dump...: print each argument after argv[0]... including argv[0], one a line.
static int argv_dump(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    outf("%s\n", argv[i]);
  return 0;
}

// --fds OPEN... - CLOSED...: each OPEN descriptor is open, each CLOSED one is not.
static int fds_check(int argc, char **argv) {
  int closed = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      closed = 1;
      continue;
    }
    long r = sc(SYS_fcntl, atoi(argv[i]), F_GETFD);
    if (closed ? !(r == -1 && errno == EBADF) : r == -1)
      return 10 + i;
  }
  return 0;
}

static int comm_print(void) {
  char name[32] = {0};
  if (sc(SYS_prctl, PR_GET_NAME_, name, 0, 0, 0) != 0)
    return 1;
  outf("%s\n", name);
  return 0;
}

// --sigstate: what t_exec_signal_state set up, as execve must have left it.
static int sigstate_check(void) {
  if (get_action(SIGTERM).handler != SIG_IGN)
    return 1;
  if (get_action(SIGUSR1).handler != SIG_DFL)
    return 2;
  if (get_mask() != bit(SIGUSR2))
    return 3;
  stack_t ss;
  if (sc(SYS_sigaltstack, NULL, &ss) != 0 || ss.ss_flags != SS_DISABLE)
    return 4;
  return 0;
}

static int helper_mode(int argc, char **argv) {
  if (argc < 2)
    return -1;
  const char *m = argv[1];
  if (strncmp(m, "--argv-dump", 11) == 0)
    return argv_dump(argc, argv);
  if (strcmp(m, "--exit") == 0 && argc == 3)
    return atoi(argv[2]);
  if (strcmp(m, "--sleep-exit") == 0 && argc == 4) {
    sleep_ms(atoi(argv[2]));
    return atoi(argv[3]);
  }
  if (strcmp(m, "--fds") == 0)
    return fds_check(argc, argv);
  if (strcmp(m, "--comm") == 0)
    return comm_print();
  if (strcmp(m, "--sigstate") == 0)
    return sigstate_check();
  return -1;
}

// ---------------------------------------------------------------------------------
// The table and the runner

static const struct ut_test tests[] = {
    UT(fork), UT(vfork), UT(vfork_exec), UT(clone_tids), UT(clone_vm_cleartid),
    UT(exec_shebang), UT_IF(exec_shebang_echo, "/bin/echo"), UT(exec_script_errors),
    UT(exec_cloexec), UT(prctl_name),
    UT(wait_exit_status), UT(wait_signal_status), UT(wait_stop_cont),
    UT(stop_cont_handler),
    UT(waitpid_specific), UT(wait_pgrp), UT(wait_errors), UT(zombies),
    UT(orphan_reparent),
    UT(pgrp_basic), UT(setsid), UT(setpgid_errors), UT(kill_pgrp), UT(kill_zero),
    UT(set_robust_list), UT(rseq), UT(prlimit), UT(umask),
    UT(kill_self_handler), UT(siginfo_self), UT(siginfo_other), UT(kill_errors),
    UT(kill_eperm),
    UT(signal_regs_syscall), UT(signal_regs_df), UT(signal_regs_async),
    UT(sigprocmask), UT(rt_signal_queue), UT(rt_sigqueue_values), UT(rt_sigqueue_handler),
    UT(std_signal_no_queue), UT(sigpending_limit), UT(signal_order), UT(sigsuspend), UT(nanosleep_stop_cont_keeps_deadline), UT(restart_syscall_alone),
    UT(sigtimedwait),
    UT(sa_resethand), UT(sa_nodefer), UT(sa_mask), UT(sa_restart), UT(read_eintr),
    UT(sigaltstack), UT(sigaltstack_errors), UT(sigaltstack_overflow),
    UT(default_terminate), UT(default_ignore), UT(sig_ign), UT(exec_signal_state),
    UT(sigkill_uncatchable), UT(sigchld_info), UT(sigchld_stop_cont),
    UT(sigchld_ign_autoreap),
    UT(sigreturn_bad_cs), UT(sigreturn_bad_iopl), UT(sigreturn_bad_rip),
    UT(sigreturn_bad_fpstate),
    UT(pipe_basic), UT(pipe2_flags), UT(pipe_blocking), UT(pipe_epipe), UT(pipe_large),
    UT(pipe_atomic), UT(pipe_espipe),
    UT(dup), UT(dup2), UT(dup3), UT(fcntl_flags), UT(fcntl_append), UT(fcntl_dupfd),
    UT(emfile),
    UT(poll_pipe), UT(poll_timeout), UT(ppoll),
    UT(getdents64), UT(chdir), UT(proc_self_exe), UT(access), UT(sendfile),
    UT(getresuid), UT(setuid_drop), UT(setresuid), UT(setuid_saved), UT(setreuid),
    UT_IF(setuid_exec, SETUID_PROBE),
    UT(fork_bomb),
};
// Tests assume the signal state of a fresh process, but a shell hands background jobs
// SIGINT and SIGQUIT ignored, and dispositions and the mask survive execve.
static void reset_signals(void) {
  struct ksigaction dfl = {SIG_DFL, 0, NULL, 0};
  uint64_t none = 0;
  for (int s = 1; s <= 64; s++) // errors are the tests' business, not the runner's
    if (s != SIGKILL && s != SIGSTOP)
      sc(SYS_rt_sigaction, s, &dfl, NULL, 8);
  sc(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
}

int main(int argc, char **argv) {
  int code = helper_mode(argc, argv);
  if (code >= 0)
    return code;
  reset_signals();
  ut_setup(argv[0], "/tests/posixtests");
  static const struct ut_suite suite = {
      .tests = tests, .ntests = UT_NTESTS(tests), .own_group = true, .hide_unmet = true};
  return ut_main(&suite, argc, argv);
}
