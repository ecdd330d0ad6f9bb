// The client side of the proc: scheme: see proc.h.
#define _GNU_SOURCE // pipe2, program_invocation_short_name
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int proc_path(char *buf, size_t cap, long pid, const char *file) {
  int n = snprintf(buf, cap, "proc:%ld/%s", pid, file);
  if (n < 0 || (size_t)n >= cap) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return n;
}

int proc_open(long pid, const char *file, int flags) {
  char path[96];
  if (proc_path(path, sizeof path, pid, file) < 0)
    return -1;
  return open(path, flags);
}

// ---- a child held until its tracer is ready ----

pid_t proc_fork_held(struct proc_hold *h, void (*setup)(void *), void *arg) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid != 0) {
    close(p[0]);
    if (pid < 0)
      close(p[1]);
    h->go = pid < 0 ? -1 : p[1];
    return pid;
  }
  close(p[1]);
  if (setup)
    setup(arg);
  char c;
  ssize_t r;
  while ((r = read(p[0], &c, 1)) < 0 && errno == EINTR)
    ;
  if (r != 1)
    _exit(127); // the parent could not trace us
  close(p[0]);
  return 0;
}

int proc_release(struct proc_hold *h) {
  ssize_t w = write(h->go, "g", 1);
  close(h->go);
  h->go = -1;
  return w == 1 ? 0 : -1;
}

void proc_abandon(struct proc_hold *h) {
  close(h->go);
  h->go = -1;
}

// ---- sessions ----

static void session_reset(struct proc_session *s) {
  *s = (struct proc_session)PROC_SESSION_INIT;
}

int proc_attach(struct proc_session *s, long pid, int flags) {
  session_reset(s);
  int fd = proc_open(pid, "trace", O_RDWR | O_CLOEXEC | (flags & (O_TRUNC | O_EXCL)));
  if (fd < 0)
    return -1;
  s->pid = pid;
  s->trace = fd;
  return 0;
}

// The child's part before it waits: the caller's set-up.
static void launch_child(void *arg) {
  const struct proc_launch *how = arg;
  if (how->setup)
    how->setup(how->arg);
}

int proc_launch(struct proc_session *s, const struct proc_launch *how) {
  struct proc_hold hold;
  const char *path = how->path ? how->path : how->argv[0];
  session_reset(s);
  pid_t pid = proc_fork_held(&hold, launch_child, (void *)how);
  if (pid < 0)
    return -1;
  if (pid == 0) {
    execvp(path, how->argv);
    fprintf(stderr, "%s: cannot run %s: %s\n", program_invocation_short_name, path,
            strerror(errno));
    _exit(127);
  }
  if (proc_attach(s, pid, 0) < 0 ||
      (how->sysfilter && proc_set_sysfilter(s, how->sysfilter, how->sysfilter_len) < 0) ||
      proc_resume(s, how->stops) < 0 || proc_release(&hold) < 0) {
    int e = errno;
    if (hold.go >= 0)
      proc_abandon(&hold);
    kill(pid, SIGKILL); // (it ran nothing of its own: it was waiting on the hold)
    waitpid(pid, NULL, 0);
    proc_close(s);
    errno = e;
    return -1;
  }
  return 0;
}

void proc_close(struct proc_session *s) {
  proc_drop_files(s);
  if (s->trace >= 0)
    close(s->trace);
  session_reset(s);
}

// ---- events and resuming ----

int proc_set_sysfilter(struct proc_session *s, const uint8_t *bits, size_t n) {
  int fd = proc_open(s->pid, "sysfilter", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t w = write(fd, bits, n);
  int e = errno;
  close(fd);
  errno = e;
  return w == (ssize_t)n ? 0 : -1;
}

// (proc_read_events' slow path: events proc_next_event read ahead.)
ssize_t proc_take_queued(struct proc_session *s, struct proc_event *ev, size_t max) {
  size_t n = 0;
  while (n < max && s->qi < s->qn)
    ev[n++] = s->q[s->qi++];
  return (ssize_t)n;
}

int proc_next_event(struct proc_session *s, struct proc_event *ev) {
  while (s->qi == s->qn) {
    ssize_t n = read(s->trace, s->q, sizeof s->q);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < (ssize_t)sizeof *ev)
      return -1;
    s->qn = (int)(n / (ssize_t)sizeof *ev);
    s->qi = 0;
  }
  *ev = s->q[s->qi++];
  return 0;
}

bool proc_event_queued(const struct proc_session *s) { return s->qi < s->qn; }

// ---- registers and memory ----

static const char *const file_names[PROC_NFILES] = {
    [PROC_REGS_INT] = "regs/int", [PROC_REGS_FLOAT] = "regs/float",
    [PROC_REGS_DEBUG] = "regs/debug", [PROC_MEM] = "mem"};

int proc_file(struct proc_session *s, enum proc_file f) {
  if (s->files[f] < 0)
    s->files[f] = proc_open(s->pid, file_names[f], O_RDWR | O_CLOEXEC);
  return s->files[f];
}

void proc_drop_files(struct proc_session *s) {
  for (int f = 0; f < PROC_NFILES; f++) {
    if (s->files[f] >= 0)
      close(s->files[f]);
    s->files[f] = -1;
  }
}

// A register file is read and written whole, at offset 0.
static int regs_io(struct proc_session *s, enum proc_file f, void *buf, size_t n, bool put) {
  int fd = proc_file(s, f);
  if (fd < 0)
    return -1;
  ssize_t r = put ? pwrite(fd, buf, n, 0) : pread(fd, buf, n, 0);
  if (r >= 0 && (size_t)r != n)
    errno = EIO;
  return r == (ssize_t)n ? 0 : -1;
}

int proc_get_regs(struct proc_session *s, struct user_regs_struct *r) {
  return regs_io(s, PROC_REGS_INT, r, sizeof *r, false);
}

int proc_set_regs(struct proc_session *s, const struct user_regs_struct *r) {
  return regs_io(s, PROC_REGS_INT, (void *)r, sizeof *r, true);
}

int proc_get_fpregs(struct proc_session *s, struct user_fpregs_struct *f) {
  return regs_io(s, PROC_REGS_FLOAT, f, sizeof *f, false);
}

int proc_set_fpregs(struct proc_session *s, const struct user_fpregs_struct *f) {
  return regs_io(s, PROC_REGS_FLOAT, (void *)f, sizeof *f, true);
}

int proc_get_debug(struct proc_session *s, uint64_t dr[6]) {
  return regs_io(s, PROC_REGS_DEBUG, dr, 6 * sizeof dr[0], false);
}

int proc_set_debug(struct proc_session *s, const uint64_t dr[6]) {
  return regs_io(s, PROC_REGS_DEBUG, (void *)dr, 6 * sizeof dr[0], true);
}

// (An address above 2^63 is a negative off_t; the kernel reads the offset unsigned.)
ssize_t proc_peek(struct proc_session *s, uint64_t addr, void *buf, size_t n) {
  int fd = proc_file(s, PROC_MEM);
  return fd < 0 ? -1 : pread(fd, buf, n, (off_t)addr);
}

ssize_t proc_poke(struct proc_session *s, uint64_t addr, const void *buf, size_t n) {
  int fd = proc_file(s, PROC_MEM);
  return fd < 0 ? -1 : pwrite(fd, buf, n, (off_t)addr);
}
