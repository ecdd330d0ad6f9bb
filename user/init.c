// /init, PID 1. With "run=FILE" on the kernel command line (tools/vrun writes FILE: the
// program and its arguments, each ending in a NUL byte), or with the program's words
// themselves, it runs that program (a name without '/' found on PATH, as a shell
// would), reaps everything, and powers off handing the program's exit status to the
// host. Otherwise it runs an interactive login shell on the console and starts a new
// one whenever it exits.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "readfile.h"

#define MAX_ARGS 256
extern char **environ;

// Vitrine's reboot(2) takes the status for the host in its fourth argument.
static void power_off(int status) {
  syscall(SYS_reboot, 0xfee1dead, 672274793, RB_POWER_OFF, status);
  perror("init: reboot");
  for (;;)
    pause();
}

// Read FILE's NUL-separated words into argv. Returns the count, or -1.
static int read_argv(const char *file, char **argv) {
  static char buf[65536];
  ssize_t n = read_small_file(file, buf, sizeof buf);
  if (n < 0)
    return -1;
  int argc = 0;
  for (char *p = buf; p < buf + n && argc < MAX_ARGS - 1; p += strlen(p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;
  return argc;
}

// PROGRAM as a shell runs it: a name without a '/' is looked up on PATH.
static pid_t spawn(char **argv) {
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[0], argv);
    fprintf(stderr, "init: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

// Reap children until `want` ends; return its status as a shell would (128+signal).
static int wait_for(pid_t want) {
  for (;;) {
    int st;
    pid_t pid = wait(&st);
    if (pid < 0)
      return 126;
    if (pid == want)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}

static void interactive(void) {
  char *argv[] = {"-sh", NULL};
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      // A session of its own with the console as its controlling terminal, so the
      // shell's job control (process groups, ^C, ^Z) works as on a Linux console.
      setsid();
      ioctl(0, TIOCSCTTY, 0);
      execve("/bin/sh", argv, environ);
      perror("init: /bin/sh");
      _exit(127);
    }
    if (wait_for(pid) == 127)
      sleep(5); // no shell to run: don't spin
  }
}

int main(int argc, char **argv) {
  char *args[MAX_ARGS];
  if (getpid() != 1) {
    fprintf(stderr, "init: must be PID 1\n");
    return 1;
  }
  setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
  if (argc > 1 && strncmp(argv[1], "run=", 4) == 0) {
    if (read_argv(argv[1] + 4, args) <= 0) {
      fprintf(stderr, "init: cannot read %s\n", argv[1] + 4);
      power_off(127);
    }
    power_off(wait_for(spawn(args)));
  }
  if (argc > 1)
    power_off(wait_for(spawn(argv + 1)));
  interactive();
}
