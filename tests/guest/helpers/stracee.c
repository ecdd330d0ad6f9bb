// stracee [kill|fork]: a program whose system calls are known exactly, for
// tests/guest/strace.sh. Calls go through syscall() so libc adds none of its own (the
// one exception, sigaction, adds a known rt_sigprocmask).
//
//   stracee       files, a failing open, bad pointers, escapes, a handled SIGUSR1, a
//                 signal mask, a short sleep; exactly 6 write calls (one fails); exit 3
//   stracee kill  kills itself with SIGKILL
//   stracee fork  forks a child that writes and exits 5; the parent waits; exit 0
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char data[] = "root:x:0:0:root:/root:/bin/sh\n";

static void on_usr1(int sig) {
  (void)sig;
  syscall(SYS_write, 1, "handler\n", 8);
}

// The file is made here, so its contents (and the read's result) are known.
static void files(void) {
  char buf[4096];
  struct stat st;
  long fd = syscall(SYS_openat, AT_FDCWD, "/tmp/stracee.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  syscall(SYS_write, fd, data, strlen(data));
  syscall(SYS_close, fd);
  fd = syscall(SYS_openat, AT_FDCWD, "/tmp/stracee.txt", O_RDONLY | O_CLOEXEC);
  syscall(SYS_read, fd, buf, sizeof buf);
  syscall(SYS_fstat, fd, &st);
  syscall(SYS_close, fd);
  syscall(SYS_write, 1, "hi\n", 3);
  syscall(SYS_openat, AT_FDCWD, "/nonexistent", O_RDONLY);
  syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY); // a garbage pointer: EFAULT
}

static void signals(void) {
  struct sigaction sa = {.sa_handler = on_usr1};
  sigaction(SIGUSR1, &sa, NULL);
  syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);
  uint64_t set = 1UL << (SIGINT - 1) | 1UL << (SIGTERM - 1), old;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8);
  struct timespec ts = {0, 1000000};
  syscall(SYS_nanosleep, &ts, NULL);
}

static void strings(void) {
  int fds[2];
  syscall(SYS_write, 1, (char *)1, 5); // EFAULT, shown as the address
  syscall(SYS_write, 1, "\0\1\t\"\\x\n", 7);
  syscall(SYS_write, 1, "0123456789abcdefghijklmnopqrstuvwxyzABCD\n", 41); // cut at -s
  syscall(SYS_pipe2, fds, O_CLOEXEC);
  syscall(SYS_close, fds[0]);
  syscall(SYS_close, fds[1]);
}

static int forked(void) {
  int status;
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    syscall(SYS_write, 1, "child\n", 6);
    syscall(SYS_exit_group, 5);
  }
  syscall(SYS_wait4, pid, &status, 0, NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "kill") == 0)
    syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
  if (argc > 1 && strcmp(argv[1], "fork") == 0)
    syscall(SYS_exit_group, forked());
  files();
  signals();
  strings();
  syscall(SYS_exit_group, 3);
}
