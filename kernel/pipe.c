// Pipes: a ring buffer shared by a read end and a write end. A FIFO (a named pipe, a
// node of the file tree: ramfs.c) is the same pipe, found through its node, with
// fifo(7)'s rules for opening it.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "pipe.h"
#include "proc.h"
#include "ring.h"
#include "scheme.h"
#include "signal.h"

#define PIPE_SIZE 65536    // as Linux's default capacity (PIPE_BUF, file.h: a packet's most)
#define PIPE_MAX (1 << 20) // F_SETPIPE_SZ's limit without privilege (pipe-max-size)
#define PIPE_ROOT_MAX (16 << 20)
#define PKT_HDR 2          // a packet (O_DIRECT) is its length, then its bytes

struct pipe {
  struct ring ring;    // the buffered bytes; its size (a power of two) is F_SETPIPE_SZ's
  int readers, writers;
  bool packet;         // pipe2(O_DIRECT): each write of up to PIPE_BUF is one packet
  // FIFOs only: where the node keeps the pipe (NULL once the node is gone), the opens
  // for reading and for writing so far (an open that waits for the other side waits
  // for these to move), and the node's stat for fstat.
  struct pipe **slot;
  uint64_t r_opens, w_opens;
  struct stat st;
};

// A FIFO opened O_RDWR is both a reader and a writer (pipe(2)'s ends are one or the
// other).
static bool is_reader(const struct file *f) { return file_readable(f); }
static bool is_writer(const struct file *f) { return file_writable(f); }

// Wait until there is something to read: 1, or 0 at end of file (no writer left), or
// -EAGAIN (O_NONBLOCK), -ERESTARTSYS.
static int await_data(struct file *f, struct pipe *p) {
  int r = 1;
  while (r > 0 && !ring_used(&p->ring))
    r = !p->writers ? 0 : (f->flags & O_NONBLOCK) ? -EAGAIN : sleep_on(p) < 0 ? -ERESTARTSYS : 1;
  return r;
}

// One packet to dst: as much of it as fits in n, the rest discarded (pipe(2), O_DIRECT).
// If nothing could be copied (EFAULT) the packet stays.
static long take_packet(struct pipe *p, uint64_t dst, size_t n, bool user) {
  struct ring *rg = &p->ring;
  uint64_t mask = rg->size - 1;
  size_t len = rg->buf[rg->tail & mask] | (size_t)rg->buf[(rg->tail + 1) & mask] << 8;
  rg->tail += PKT_HDR;
  long got = n ? ring_take(rg, dst, MIN(n, len), user) : 0;
  if (got < 0) {
    rg->tail -= PKT_HDR;
    return got;
  }
  rg->tail += len - got;
  return got;
}

// Wait for bytes, then move them to dst (user: a user address): a read that fails
// with EFAULT leaves every byte in the pipe.
static long pipe_take(struct file *f, uint64_t dst, size_t n, bool user) {
  struct pipe *p = f->priv;
  int r = await_data(f, p);
  if (r <= 0)
    return r;
  long got = p->packet ? take_packet(p, dst, n, user) : ring_take(&p->ring, dst, n, user);
  if (got >= 0) {
    wakeup(p);
    poll_notify();
  }
  return got;
}

// Bytes of room a piece of want bytes needs, in the pipe's mode.
static size_t need(const struct pipe *p, size_t want) { return p->packet ? want + PKT_HDR : want; }

static long pipe_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)off;
  struct pipe *p = f->priv;
  size_t done = 0;
  while (done < n) {
    if (!p->readers) {
      struct siginfo_k info = {.signo = SIGPIPE, .code = SI_USER, .pid = myproc()->tgid};
      signal_send_thread(myproc(), &info);
      return done ? (long)done : -EPIPE;
    }
    size_t room = ring_room(&p->ring);
    size_t piece = p->packet ? MIN(n - done, PIPE_BUF) : n - done;
    // Small writes (and every packet) go in whole or not at all, so they never
    // interleave with others.
    if (room < need(p, 1) || ((piece <= PIPE_BUF || p->packet) && room < need(p, piece))) {
      if (f->flags & O_NONBLOCK)
        return done ? (long)done : -EAGAIN;
      int r = sleep_on(p);
      if (r < 0)
        return done ? (long)done : r;
      continue;
    }
    if (p->packet) {
      uint8_t hdr[PKT_HDR] = {piece & 0xff, piece >> 8};
      ring_put(&p->ring, hdr, sizeof hdr);
    }
    done += ring_put(&p->ring, (const uint8_t *)buf + done, piece);
    wakeup(p);
    poll_notify();
  }
  return done;
}

// The pipe goes with its last reader and writer (a FIFO's data with them: fifo(7)).
static void pipe_release(struct pipe *p) {
  if (p->readers || p->writers)
    return;
  if (p->slot)
    *p->slot = NULL;
  kfree(p->ring.buf);
  kfree(p);
}

static void pipe_close(struct file *f) {
  struct pipe *p = f->priv;
  if (is_reader(f))
    p->readers--;
  if (is_writer(f))
    p->writers--;
  wakeup(p);
  poll_notify();
  pipe_release(p);
}

// A FIFO's reader sees POLLHUP only once a writer has come and gone since it opened
// (f->off keeps w_opens at its open), as Linux: not while it waits for the first one.
static int pipe_poll(struct file *f) {
  struct pipe *p = f->priv;
  int m = 0;
  if (is_reader(f))
    m |= (ring_used(&p->ring) ? POLLIN : 0) |
         (!p->writers && (!p->slot || f->off != p->w_opens) ? POLLHUP : 0);
  if (is_writer(f))
    m |= (!p->readers ? POLLERR : 0) | (ring_room(&p->ring) >= PIPE_BUF ? POLLOUT : 0);
  return m;
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

static int fifo_stat(struct file *f, struct stat *st) {
  struct pipe *p = f->priv;
  *st = p->st;
  return 0;
}

static const struct scheme pipe_scheme = {
    .name = "pipe", .open = pipe_open, .take = pipe_take, .write = pipe_write,
    .close = pipe_close, .stat = pipe_stat, .poll = pipe_poll,
};
// A FIFO's open file: a pipe's, but fstat shows the node.
static const struct scheme fifo_scheme = {
    .name = "pipe", .open = pipe_open, .take = pipe_take, .write = pipe_write,
    .close = pipe_close, .stat = fifo_stat, .poll = pipe_poll,
};

static struct pipe *pipe_new(void) {
  struct pipe *p = kmalloc(sizeof *p);
  uint8_t *buf = kmalloc(PIPE_SIZE);
  if (!p || !buf) {
    kfree(p), kfree(buf);
    return NULL;
  }
  *p = (struct pipe){.ring = {.buf = buf, .size = PIPE_SIZE}};
  return p;
}

static bool is_pipe(const struct file *f) {
  return f->scheme == &pipe_scheme || f->scheme == &fifo_scheme;
}

// F_GETPIPE_SZ: the capacity, or -EBADF for a file that is no pipe.
long pipe_get_size(struct file *f) {
  return is_pipe(f) ? (long)((struct pipe *)f->priv)->ring.size : -EBADF;
}

// F_SETPIPE_SZ: at least n bytes, rounded up to a power of two (one page at least).
// Returns the new capacity, or -EBADF, -EINVAL (too large to round), -EPERM (above
// 1 MiB without privilege), -EBUSY (less than what is buffered), -ENOMEM.
long pipe_set_size(struct file *f, uint64_t n) {
  if (!is_pipe(f))
    return -EBADF;
  struct pipe *p = f->priv;
  if (n > (1ull << 31))
    return -EINVAL;
  size_t size = 4096;
  while (size < n)
    size <<= 1;
  if (size > PIPE_MAX && myproc()->euid != 0)
    return -EPERM;
  if (size > PIPE_ROOT_MAX)
    return -ENOMEM;
  struct ring *rg = &p->ring;
  if (size < ring_used(rg))
    return -EBUSY;
  uint8_t *nb = kmalloc(size);
  if (!nb)
    return -ENOMEM;
  for (uint64_t i = rg->tail; i != rg->head; i++) // the same counters, the new ring
    nb[i & (size - 1)] = rg->buf[i & (rg->size - 1)];
  kfree(rg->buf);
  rg->buf = nb;
  rg->size = size;
  wakeup(p);
  poll_notify();
  return size;
}

// Wait until *opens moves past seen: the other side of a FIFO has opened.
static int await_open(uint64_t *opens, uint64_t seen) {
  while (*opens == seen) {
    int r = sleep_on(opens);
    if (r < 0)
      return r;
  }
  return 0;
}

// Open the FIFO whose node keeps its pipe in *slot (NULL: none yet), with fifo(7)'s
// rules: O_RDONLY waits for a writer and O_WRONLY for a reader unless one is there;
// O_NONBLOCK readers open at once, O_NONBLOCK writers with no reader fail with ENXIO;
// O_RDWR never waits. st: the node's stat, for fstat. A signal ends a wait
// (-ERESTARTSYS) and the open leaves no trace.
int pipe_fifo_open(struct pipe **slot, struct file *f, int flags, const struct stat *st) {
  struct pipe *p = *slot;
  int acc = flags & O_ACCMODE, r = 0;
  if (!p && acc == O_WRONLY && (flags & O_NONBLOCK))
    return -ENXIO;
  if (!p && !(p = pipe_new()))
    return -ENOMEM;
  if (!*slot)
    *slot = p, p->slot = slot;
  p->st = *st;
  f->scheme = &fifo_scheme;
  f->priv = p;
  if (acc == O_WRONLY && !p->readers && (flags & O_NONBLOCK))
    return -ENXIO; // (p has a reader or a writer already: it stays)
  if (acc != O_WRONLY)
    p->readers++, p->r_opens++, wakeup(&p->r_opens);
  if (acc != O_RDONLY)
    p->writers++, p->w_opens++, wakeup(&p->w_opens);
  f->off = p->w_opens;
  if (acc == O_RDONLY && !p->writers && !(flags & O_NONBLOCK))
    r = await_open(&p->w_opens, p->w_opens);
  else if (acc == O_WRONLY && !p->readers)
    r = await_open(&p->r_opens, p->r_opens);
  if (r < 0) {
    if (acc == O_RDONLY)
      p->readers--;
    else
      p->writers--;
    wakeup(p);
    pipe_release(p);
    return r;
  }
  poll_notify();
  return 0;
}

// The FIFO's node is gone: its open files keep the pipe, no one else finds it.
void pipe_fifo_detach(struct pipe *p) { p->slot = NULL; }

int pipe_create(struct file **rd, struct file **wr, bool packet) {
  struct pipe *p = pipe_new();
  struct file *r = kmalloc(sizeof *r), *w = kmalloc(sizeof *w);
  if (!p || !r || !w) {
    if (p)
      kfree(p->ring.buf);
    kfree(p), kfree(r), kfree(w);
    return -ENOMEM;
  }
  p->readers = 1, p->writers = 1;
  p->packet = packet;
  *r = (struct file){.scheme = &pipe_scheme, .refs = 1, .flags = O_RDONLY, .priv = p};
  *w = (struct file){.scheme = &pipe_scheme, .refs = 1, .flags = O_WRONLY, .priv = p};
  *rd = r, *wr = w;
  return 0;
}
