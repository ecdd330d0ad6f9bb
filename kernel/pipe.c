// Pipes: a ring buffer shared by a read end and a write end.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "pipe.h"
#include "proc.h"
#include "ring.h"
#include "scheme.h"
#include "signal.h"

#define PIPE_SIZE 65536 // as Linux's default capacity

struct pipe {
  struct ring ring; // the buffered bytes
  int readers, writers;
};

static bool is_reader(const struct file *f) { return (f->flags & O_ACCMODE) == O_RDONLY; }

// Wait for bytes, then move them to dst (user: a user address): a read that fails
// with EFAULT leaves every byte in the pipe.
static long pipe_take(struct file *f, uint64_t dst, size_t n, bool user) {
  struct pipe *p = f->priv;
  while (!ring_used(&p->ring)) {
    if (!p->writers)
      return 0;
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    int r = sleep_on(p);
    if (r < 0)
      return r;
  }
  long got = ring_take(&p->ring, dst, n, user);
  if (got > 0) {
    wakeup(p);
    poll_notify();
  }
  return got;
}

static long pipe_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)off;
  struct pipe *p = f->priv;
  size_t done = 0;
  while (done < n) {
    if (!p->readers) {
      struct siginfo_k info = {.signo = SIGPIPE, .code = SI_USER, .pid = myproc()->pid};
      signal_send(myproc(), &info);
      return done ? (long)done : -EPIPE;
    }
    size_t room = ring_room(&p->ring);
    // Small writes go in whole or not at all, so they never interleave with others.
    if (room == 0 || (n - done <= PIPE_BUF && room < n - done)) {
      if (f->flags & O_NONBLOCK)
        return done ? (long)done : -EAGAIN;
      int r = sleep_on(p);
      if (r < 0)
        return done ? (long)done : r;
      continue;
    }
    done += ring_put(&p->ring, (const uint8_t *)buf + done, n - done);
    wakeup(p);
    poll_notify();
  }
  return done;
}

static void pipe_close(struct file *f) {
  struct pipe *p = f->priv;
  if (is_reader(f))
    p->readers--;
  else
    p->writers--;
  wakeup(p);
  poll_notify();
  if (!p->readers && !p->writers) {
    kfree(p->ring.buf);
    kfree(p);
  }
}

static int pipe_poll(struct file *f) {
  struct pipe *p = f->priv;
  if (is_reader(f))
    return (ring_used(&p->ring) ? POLLIN : 0) | (!p->writers ? POLLHUP : 0);
  return (!p->readers ? POLLERR : 0) | (ring_room(&p->ring) >= PIPE_BUF ? POLLOUT : 0);
}

static int pipe_stat(struct file *f, struct stat *st) {
  *st = (struct stat){.st_mode = S_IFIFO | 0600, .st_nlink = 1, .st_blksize = PIPE_BUF,
                      .st_ino = (uint64_t)f->priv >> 4, .st_dev = 0xb};
  st->st_uid = myproc()->euid, st->st_gid = myproc()->egid;
  return 0;
}

static int pipe_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)rest, (void)flags, (void)mode;
  return -ENOENT; // pipes come only from pipe(2)
}

static const struct scheme pipe_scheme = {
    .name = "pipe", .open = pipe_open, .take = pipe_take, .write = pipe_write,
    .close = pipe_close, .stat = pipe_stat, .poll = pipe_poll,
};

int pipe_create(struct file **rd, struct file **wr) {
  struct pipe *p = kmalloc(sizeof *p);
  struct file *r = kmalloc(sizeof *r), *w = kmalloc(sizeof *w);
  uint8_t *buf = kmalloc(PIPE_SIZE);
  if (!p || !r || !w || !buf) {
    kfree(p), kfree(r), kfree(w), kfree(buf);
    return -ENOMEM;
  }
  *p = (struct pipe){.ring = {.buf = buf, .size = PIPE_SIZE}, .readers = 1, .writers = 1};
  *r = (struct file){.scheme = &pipe_scheme, .refs = 1, .flags = O_RDONLY, .priv = p};
  *w = (struct file){.scheme = &pipe_scheme, .refs = 1, .flags = O_WRONLY, .priv = p};
  *rd = r, *wr = w;
  return 0;
}
