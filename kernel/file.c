// Open files: per-process descriptor tables of pointers to shared open files, moving
// data between a user's buffer and a file, and waiting until files are ready (poll).
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "lock.h"
#include "proc.h"
#include "scheme.h"
#include "vm.h"

struct file *file_get(int fd) {
  return file_of(myproc(), fd);
}

// Another process's descriptors are looked at through proc:PID/fd; an exited thread (a
// zombie leader whose group still runs, say) has no table left, so nothing is open.
struct file *file_of(const struct proc *p, int fd) {
  if (fd < 0 || fd >= NOFILE || !p->fdt)
    return NULL;
  return p->fdt->files[fd];
}

static void set_cloexec(struct proc *p, int fd, bool on) {
  if (on)
    p->fdt->cloexec[fd / 64] |= 1ull << (fd % 64);
  else
    p->fdt->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

bool fd_cloexec(int fd) { return myproc()->fdt->cloexec[fd / 64] >> (fd % 64) & 1; }
void fd_set_cloexec(int fd, bool on) { set_cloexec(myproc(), fd, on); }

static bool reserved(const struct proc *p, int fd) { return p->fdt->reserved[fd / 64] >> (fd % 64) & 1; }

// Set aside the lowest free descriptor >= min, or -EMFILE. An open takes its descriptor
// first, as Linux does, so that a full table refuses it before anything has happened
// (an open can have effects: proc:PID/trace attaches, O_EXCL kills at close).
int fd_reserve(int min) {
  struct proc *p = myproc();
  int lim = MIN(NOFILE, p->leader->rlim[RLIMIT_NOFILE][0]); // (RLIMIT_NOFILE: EMFILE beyond)
  for (int fd = min; fd < lim; fd++)
    if (!p->fdt->files[fd] && !reserved(p, fd)) {
      p->fdt->reserved[fd / 64] |= 1ull << (fd % 64);
      return fd;
    }
  return -EMFILE;
}

void fd_unreserve(int fd) { myproc()->fdt->reserved[fd / 64] &= ~(1ull << (fd % 64)); }

// Put f (whose reference it takes over) at descriptor fd, which fd_reserve() gave.
void fd_install_at(int fd, struct file *f, bool cloexec) {
  struct proc *p = myproc();
  fd_unreserve(fd);
  p->fdt->files[fd] = f;
  set_cloexec(p, fd, cloexec);
}

// Lowest free descriptor >= min for f (whose reference it takes over), or -EMFILE.
int fd_install(struct file *f, int min, bool cloexec) {
  int fd = fd_reserve(min);
  if (fd >= 0)
    fd_install_at(fd, f, cloexec);
  return fd;
}

struct file *file_dup(struct file *f) {
  f->refs++;
  return f;
}

void file_put(struct file *f) {
  if (--f->refs > 0) {
    if (f->scheme->unref)
      f->scheme->unref(f);
    return;
  }
  lock_file_gone(f);
  if (f->scheme->close)
    f->scheme->close(f);
  kfree(f);
}

int fd_close(int fd) {
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  myproc()->fdt->files[fd] = NULL;
  lock_close(myproc()->fdt, f);
  file_put(f);
  return 0;
}

void fd_close_on_exec(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->fdt->files[fd] && (p->fdt->cloexec[fd / 64] >> (fd % 64) & 1)) {
      lock_close(p->fdt, p->fdt->files[fd]);
      file_put(p->fdt->files[fd]);
      p->fdt->files[fd] = NULL;
      set_cloexec(p, fd, false);
    }
}

// A descriptor table for a new thread or process: t itself (share, CLONE_FILES), or a
// copy of t (NULL: an empty one). NULL if out of memory.
struct fdtable *fdt_get(struct fdtable *t, bool share) {
  if (share) {
    t->refs++;
    return t;
  }
  struct fdtable *n = kmalloc(sizeof *n);
  if (!n)
    return NULL;
  memset(n, 0, sizeof *n);
  n->refs = 1;
  if (t) {
    for (int fd = 0; fd < NOFILE; fd++)
      if (t->files[fd])
        n->files[fd] = file_dup(t->files[fd]);
    memcpy(n->cloexec, t->cloexec, sizeof n->cloexec);
  }
  return n;
}

// Drop a reference to a descriptor table; the last one closes its files.
void fdt_put(struct fdtable *t) {
  if (!t || --t->refs > 0)
    return;
  for (int fd = 0; fd < NOFILE; fd++) // the process's last reference: its locks go too
    if (t->files[fd]) {
      lock_close(t, t->files[fd]);
      file_put(t->files[fd]);
    }
  kfree(t);
}


// ---- reading and writing ----
// Data moves between the user's buffer and the scheme through a kernel bounce buffer,
// so schemes never see user pointers; the exception is a scheme's direct transfer
// (struct scheme), which touches them only through copyin/copyout.
// The bounce buffer: on the stack for the small transfers that dominate (a pipe byte, a
// register set, an event), from the heap for large ones.
#define SMALL_IO 512
static char *bounce_get(size_t n, char *small) { return n <= SMALL_IO ? small : kmalloc(MIN(n, BOUNCE)); }
static void bounce_put(char *buf, char *small) {
  if (buf != small)
    kfree(buf);
}

bool file_can_read(const struct file *f) {
  return file_readable(f) && (f->scheme->read || f->scheme->take);
}

// A read into a kernel buffer (the bounce buffer, sendfile).
long file_read(struct file *f, void *buf, size_t n, uint64_t off) {
  return f->scheme->take ? f->scheme->take(f, (uint64_t)buf, n, false) : f->scheme->read(f, buf, n, off);
}

// A write from a kernel buffer (a gathered writev), at *off (O_APPEND: at the end).
long file_write(struct file *f, const void *buf, size_t n, uint64_t *off) {
  if (!file_writable(f) || !f->scheme->write)
    return -EBADF;
  if ((f->flags & O_APPEND) && f->scheme->seek && off == &f->off)
    f->scheme->seek(f, 0, 2);
  long r = f->scheme->write(f, buf, n, *off);
  if (r > 0)
    *off += r;
  return r;
}

// Move up to n bytes between the user's buffer and the file, through a bounce buffer.
// The caller has checked the file's mode and the buffer's range (file_io).
long bounce_io(struct file *f, uint64_t ubuf, size_t n, uint64_t *off, bool write) {
  if (write && (f->flags & O_APPEND) && f->scheme->seek && off == &f->off)
    f->scheme->seek(f, 0, 2); // appending writes start at the end, and leave the offset there
  char small[SMALL_IO], *kbuf = bounce_get(n, small);
  size_t cap = n <= SMALL_IO ? SMALL_IO : BOUNCE, done = 0;
  long r = 0;
  if (!kbuf)
    return -ENOMEM;
  while (done < n) {
    size_t chunk = MIN(n - done, cap);
    if (write && copyin(kbuf, ubuf + done, chunk) < 0) {
      r = -EFAULT;
      break;
    }
    r = write ? f->scheme->write(f, kbuf, chunk, *off) : file_read(f, kbuf, chunk, *off);
    if (r <= 0)
      break;
    if (!write && copyout(ubuf + done, kbuf, r) < 0) {
      r = -EFAULT;
      break;
    }
    done += r, *off += r;
    // A short transfer, or a read from a stream: return what we have rather than block.
    if ((size_t)r < chunk || (!write && !f->scheme->seek))
      break;
  }
  bounce_put(kbuf, small);
  return done ? (long)done : r;
}

// Every read and write: the checks, then the scheme's direct transfer if it has one
// (struct scheme), else the bounce buffer.
long file_io(struct file *f, uint64_t ubuf, size_t n, uint64_t *off, bool write) {
  if (write ? !file_writable(f) || !f->scheme->write : !file_can_read(f))
    return -EBADF;
  if (!user_range_ok(ubuf, n))
    return -EFAULT;
  if (!write && f->scheme->take) // (a read of 0 bytes from a stream returns 0 at once)
    return n ? f->scheme->take(f, ubuf, n, true) : 0;
  long (*direct)(struct file *, uint64_t, size_t, uint64_t *) =
      write ? f->scheme->write_direct : f->scheme->read_direct;
  return direct ? direct(f, ubuf, n, off) : bounce_io(f, ubuf, n, off, write);
}

// ---- waiting until files are ready ----
static char poll_chan; // every poller sleeps here

void poll_notify(void) { wakeup(&poll_chan); }

static int poll_one(struct pollfd_k *p) {
  if (p->fd < 0)
    return p->revents = 0;
  struct file *f = file_get(p->fd);
  if (!f)
    return p->revents = POLLNVAL;
  int ready = f->scheme->poll ? f->scheme->poll(f) : POLLIN | POLLOUT;
  return p->revents = ready & (p->events | POLLERR | POLLHUP);
}

// Wait until one of fds is ready or the deadline (in ticks; 0 = none, -1 = now) passes.
// Returns how many are ready (revents filled), or -ERESTARTSYS.
long poll_wait(struct pollfd_k *fds, size_t n, int64_t deadline) {
  for (;;) {
    long count = 0;
    for (size_t i = 0; i < n; i++)
      count += poll_one(&fds[i]) != 0;
    if (count || deadline < 0 || (deadline && (uint64_t)deadline <= ticks))
      return count;
    int r = sleep_until(&poll_chan, deadline);
    if (r < 0)
      return r;
  }
}

// ---- helpers for schemes ----
long seek_generic(struct file *f, int64_t off, int whence, int64_t size) {
  int64_t base;
  switch (whence) {
  case 0: base = 0; break;
  case 1: base = f->off; break;
  case 2: base = size; break;
  default: return -EINVAL;
  }
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
    return -EINVAL;
  f->off = base + off;
  return f->off;
}

// Append one linux_dirent64 to buf (n bytes, *used so far). Returns 0, or -EINVAL if
// the record does not fit (the caller stops; an empty buffer means "too small").
long dirent_put(void *buf, size_t n, size_t *used, uint64_t ino, int64_t next, int type,
                const char *name, size_t namelen) {
  size_t reclen = ALIGN_UP(sizeof(struct linux_dirent64) + namelen + 1, 8);
  if (*used + reclen > n)
    return -EINVAL;
  struct linux_dirent64 *d = (void *)((char *)buf + *used);
  memset(d, 0, reclen);
  d->d_ino = ino;
  d->d_off = next;
  d->d_reclen = reclen;
  d->d_type = type;
  memcpy(d->d_name, name, namelen);
  *used += reclen;
  return 0;
}
