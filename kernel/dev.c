// The simplest schemes: null: (/dev/null), zero: (/dev/zero) and full: (/dev/full).
#include "types.h"
#include "dev.h"
#include "errno.h"
#include "file.h"
#include "lib.h"
#include "scheme.h"

// ---- null: reads end at once, writes vanish ----
static int null_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)flags, (void)mode;
  return rest[0] ? -ENOENT : 0;
}
static long null_read(struct file *f, void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)n, (void)off;
  return 0;
}
static long null_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)off;
  return n;
}
static long dev_seek(struct file *f, int64_t off, int whence) {
  (void)off, (void)whence;
  f->off = 0; // like Linux's /dev/null and /dev/zero: seeking always succeeds, to 0
  return 0;
}
static int chardev_stat(struct file *f, struct stat *st, uint64_t rdev) {
  (void)f;
  *st = (struct stat){.st_mode = S_IFCHR | 0666, .st_nlink = 1, .st_rdev = rdev,
                      .st_blksize = 4096, .st_ino = rdev};
  return 0;
}
static int null_stat(struct file *f, struct stat *st) { return chardev_stat(f, st, 0x103); }
static int zero_stat(struct file *f, struct stat *st) { return chardev_stat(f, st, 0x105); }

const struct scheme null_scheme = {
    .name = "null", .open = null_open, .read = null_read, .write = null_write,
    .seek = dev_seek, .stat = null_stat,
};

// ---- zero: endless zero bytes ----
static long zero_read(struct file *f, void *buf, size_t n, uint64_t off) {
  (void)f, (void)off;
  memset(buf, 0, n);
  return n;
}

const struct scheme zero_scheme = {
    .name = "zero", .open = null_open, .read = zero_read, .write = null_write,
    .seek = dev_seek, .stat = zero_stat,
};

// ---- full: (/dev/full) zero bytes to read, no room to write (Linux's 1:7) ----
static long full_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)n, (void)off;
  return -ENOSPC;
}
static int full_stat(struct file *f, struct stat *st) { return chardev_stat(f, st, 0x107); }

const struct scheme full_scheme = {
    .name = "full", .open = null_open, .read = zero_read, .write = full_write,
    .seek = dev_seek, .stat = full_stat,
};
