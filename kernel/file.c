// File descriptors: per-process tables of pointers to shared open files.
#include "proc.h"
#include "file.h"

struct file *file_get(int fd) {
  if (fd < 0 || fd >= NOFILE)
    return NULL;
  return myproc()->files[fd];
}

static void set_cloexec(struct proc *p, int fd, bool on) {
  if (on)
    p->cloexec[fd / 64] |= 1ull << (fd % 64);
  else
    p->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

bool fd_cloexec(int fd) { return myproc()->cloexec[fd / 64] >> (fd % 64) & 1; }
void fd_set_cloexec(int fd, bool on) { set_cloexec(myproc(), fd, on); }

// Lowest free descriptor >= min for f (whose reference it takes over), or -EMFILE.
int fd_install(struct file *f, int min, bool cloexec) {
  struct proc *p = myproc();
  for (int fd = min; fd < NOFILE; fd++)
    if (!p->files[fd]) {
      p->files[fd] = f;
      set_cloexec(p, fd, cloexec);
      return fd;
    }
  return -EMFILE;
}

struct file *file_dup(struct file *f) {
  f->refs++;
  return f;
}

void file_put(struct file *f) {
  if (--f->refs > 0)
    return;
  if (f->scheme->close)
    f->scheme->close(f);
  kfree(f);
}

int fd_close(int fd) {
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  myproc()->files[fd] = NULL;
  file_put(f);
  return 0;
}

void fd_close_all(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->files[fd]) {
      file_put(p->files[fd]);
      p->files[fd] = NULL;
    }
}

void fd_close_on_exec(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->files[fd] && (p->cloexec[fd / 64] >> (fd % 64) & 1)) {
      file_put(p->files[fd]);
      p->files[fd] = NULL;
      set_cloexec(p, fd, false);
    }
}

void fd_clone(struct proc *dst, struct proc *src) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (src->files[fd])
      dst->files[fd] = file_dup(src->files[fd]);
  memcpy(dst->cloexec, src->cloexec, sizeof dst->cloexec);
}


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
