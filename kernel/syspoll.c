// pipe(2), and waiting for descriptors: poll, ppoll, select, pselect6.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "pipe.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

static long make_pipe(uint64_t ufds, int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
    return -EINVAL;
  struct file *r, *w;
  int err = pipe_create(&r, &w, flags & O_DIRECT);
  if (err < 0)
    return err;
  r->flags |= flags & O_NONBLOCK; // (Linux shows O_DIRECT on the write end only)
  w->flags |= flags & (O_NONBLOCK | O_DIRECT);
  int fds[2] = {fd_install(r, 0, flags & O_CLOEXEC), -1};
  if (fds[0] >= 0)
    fds[1] = fd_install(w, 0, flags & O_CLOEXEC);
  if (fds[1] < 0 || copyout(ufds, fds, sizeof fds) < 0) {
    err = fds[1] < 0 ? fds[0] < 0 ? fds[0] : fds[1] : -EFAULT;
    if (fds[0] >= 0)
      fd_close(fds[0]);
    else
      file_put(r);
    if (fds[1] >= 0)
      fd_close(fds[1]);
    else
      file_put(w);
    return err;
  }
  return 0;
}

long sys_pipe(struct trapframe *tf) { return make_pipe(ARG0, 0); }
long sys_pipe2(struct trapframe *tf) { return make_pipe(ARG0, ARG1); }

static int64_t deadline_ms(int64_t ms) {
  if (ms < 0)
    return 0;
  if (ms == 0)
    return -1;
  return ticks + (ms * HZ + 999) / 1000 + 1;
}

static long poll_common(uint64_t ufds, uint64_t n, int64_t deadline) {
  if (n > NOFILE)
    return -EINVAL;
  struct pollfd_k *fds = kmalloc(n * sizeof *fds + 1);
  if (!fds)
    return -ENOMEM;
  long r = copyin(fds, ufds, n * sizeof *fds);
  if (r == 0)
    r = poll_wait(fds, n, deadline);
  if (r >= 0 && copyout(ufds, fds, n * sizeof *fds) < 0)
    r = -EFAULT;
  kfree(fds);
  return r;
}

// poll's timeout is an interval: an interrupted poll goes on to the same deadline
// (restart_block: arg 0 the fds, 1 their count, 2 the deadline in ticks).
static long poll_until(uint64_t ufds, uint64_t n, int64_t deadline);

static long poll_restart(const struct restart_block *rb) {
  return poll_until(rb->arg[0], rb->arg[1], rb->arg[2]);
}

static long poll_until(uint64_t ufds, uint64_t n, int64_t deadline) {
  long r = poll_common(ufds, n, deadline);
  return r == -ERESTARTSYS && deadline > 0 ? restart_later(poll_restart, ufds, n, deadline, 0) : r;
}

long sys_poll(struct trapframe *tf) { return poll_until(ARG0, ARG1, deadline_ms((int)ARG2)); }

// ppoll, select and pselect6 restart as they are, after writing the time left into the
// caller's timeout (as Linux does), so the restart waits only for what remains.
static void put_left(uint64_t utime, int64_t deadline, long unit) {
  if (!utime || deadline <= 0)
    return;
  uint64_t left = (uint64_t)deadline > ticks ? deadline - ticks : 0;
  int64_t t[2] = {left / HZ, left % HZ * (unit / HZ)};
  copyout(utime, t, sizeof t); // (a bad address: the restart reads it and fails then)
}

// A timespec timeout as a deadline in ticks; -EINVAL if malformed.
static int64_t deadline_ts(uint64_t uts, int *err) {
  struct timespec_k ts;
  *err = 0;
  if (!uts)
    return 0;
  if (copyin(&ts, uts, sizeof ts) < 0)
    return *err = -EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
    return *err = -EINVAL;
  if (ts.tv_sec == 0 && ts.tv_nsec == 0)
    return -1;
  int64_t t = ts.tv_sec > 1000000000 ? 1000000000 : ts.tv_sec;
  return ticks + t * HZ + (ts.tv_nsec * HZ + 999999999) / 1000000000 + 1;
}

// Run f with the signal mask from usigmask in place (ppoll, pselect6), as sigsuspend
// does: signal_deliver restores the old mask after a handler ran.
static int swap_mask(uint64_t usigmask, size_t size) {
  if (!usigmask)
    return 0;
  uint64_t m;
  if (size != 8)
    return -EINVAL;
  if (copyin(&m, usigmask, 8) < 0)
    return -EFAULT;
  struct proc *p = myproc();
  p->saved_mask = p->blocked;
  p->restore_mask = true;
  p->blocked = m & ~UNBLOCKABLE;
  return 0;
}

static void unswap_mask(uint64_t usigmask, long r) {
  struct proc *p = myproc();
  if (usigmask && r != -ERESTARTSYS && p->restore_mask) {
    p->blocked = p->saved_mask;
    p->restore_mask = false;
  }
}

long sys_ppoll(struct trapframe *tf) {
  int err;
  int64_t deadline = deadline_ts(ARG2, &err);
  if (err)
    return err;
  if ((err = swap_mask(ARG3, ARG4)) < 0)
    return err;
  long r = poll_common(ARG0, ARG1, deadline);
  unswap_mask(ARG3, r);
  if (r == -ERESTARTSYS)
    put_left(ARG2, deadline, 1000000000);
  return r;
}

// select: fd_sets as bitmaps, translated to and from poll requests.
static long select_common(int n, uint64_t urd, uint64_t uwr, uint64_t uex, int64_t deadline) {
  if (n < 0 || n > NOFILE)
    return -EINVAL;
  uint64_t sets[3][NOFILE / 64] = {{0}}, out[3][NOFILE / 64] = {{0}};
  uint64_t users[3] = {urd, uwr, uex};
  size_t bytes = ALIGN_UP(n, 64) / 8;
  for (int s = 0; s < 3; s++)
    if (users[s] && copyin(sets[s], users[s], bytes) < 0)
      return -EFAULT;
  struct pollfd_k *fds = kmalloc(NOFILE * sizeof *fds);
  if (!fds)
    return -ENOMEM;
  size_t k = 0;
  for (int fd = 0; fd < n; fd++) {
    int ev = (sets[0][fd / 64] >> (fd % 64) & 1 ? POLLIN : 0) |
             (sets[1][fd / 64] >> (fd % 64) & 1 ? POLLOUT : 0) |
             (sets[2][fd / 64] >> (fd % 64) & 1 ? POLLPRI : 0);
    if (ev)
      fds[k++] = (struct pollfd_k){.fd = fd, .events = ev};
  }
  long r = poll_wait(fds, k, deadline), count = 0;
  for (size_t i = 0; r >= 0 && i < k; i++) {
    int fd = fds[i].fd, re = fds[i].revents;
    if (re & POLLNVAL) {
      r = -EBADF;
      break;
    }
    int bits[3] = {re & (POLLIN | POLLHUP | POLLERR), re & (POLLOUT | POLLERR), re & POLLPRI};
    for (int s = 0; s < 3; s++)
      if (bits[s] && (fds[i].events & (s == 0 ? POLLIN : s == 1 ? POLLOUT : POLLPRI)))
        out[s][fd / 64] |= 1ull << (fd % 64), count++;
  }
  kfree(fds);
  for (int s = 0; r >= 0 && s < 3; s++)
    if (users[s] && copyout(users[s], out[s], bytes) < 0)
      r = -EFAULT;
  return r < 0 ? r : count;
}

long sys_select(struct trapframe *tf) {
  int64_t deadline = 0;
  if (ARG4) {
    int64_t tv[2];
    if (copyin(tv, ARG4, sizeof tv) < 0)
      return -EFAULT;
    if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
      return -EINVAL;
    deadline = tv[0] == 0 && tv[1] == 0 ? -1 : (int64_t)ticks + MIN(tv[0], 1000000000) * HZ + (tv[1] * HZ + 999999) / 1000000 + 1;
  }
  long r = select_common(ARG0, ARG1, ARG2, ARG3, deadline);
  if (r == -ERESTARTSYS)
    put_left(ARG4, deadline, 1000000);
  return r;
}

long sys_pselect6(struct trapframe *tf) {
  int err;
  int64_t deadline = deadline_ts(ARG4, &err);
  if (err)
    return err;
  struct { uint64_t set, size; } sm = {0, 0};
  if (ARG5 && copyin(&sm, ARG5, sizeof sm) < 0)
    return -EFAULT;
  if ((err = swap_mask(sm.set, sm.size)) < 0)
    return err;
  long r = select_common(ARG0, ARG1, ARG2, ARG3, deadline);
  unswap_mask(sm.set, r);
  if (r == -ERESTARTSYS)
    put_left(ARG4, deadline, 1000000000);
  return r;
}
