// Schemes and the VFS (scheme.c). A path "name:rest" (or "/scheme/name/rest") goes to
// the scheme called name, if one is; any other path (a file "a:b" too) to the root
// file scheme (ramfs.c). A scheme is one table of operations; an open file points at
// its scheme and keeps its own state.
// Schemes are registered at boot (main.c); the VFS names none of them.
#pragma once
#include "types.h"
#include "file.h"

struct scheme {
  const char *name;
  // Fill f->priv (and anything else the scheme keeps) for rest; f->flags is set.
  int (*open)(struct file *f, const char *rest, int flags, int mode);
  // Positional: the caller keeps the offset (f->off) and passes it in.
  long (*read)(struct file *f, void *buf, size_t n, uint64_t off);
  long (*write)(struct file *f, const void *buf, size_t n, uint64_t off);
  // Optional direct transfers, for the small records a tracer moves at every stop
  // (registers, trace events, resume flags): the scheme copies between the user's
  // buffer and its own memory with copyin/copyout, once, instead of through the
  // bounce buffer; and an event leaves the queue only once it has reached the user.
  // A scheme that has them gets every read(2)/write(2) there (mode and range already
  // checked), moves *off itself, and hands the files it does not serve so to
  // bounce_io(). A failure changes nothing.
  long (*read_direct)(struct file *f, uint64_t ubuf, size_t n, uint64_t *off);
  long (*write_direct)(struct file *f, uint64_t ubuf, size_t n, uint64_t *off);
  // Instead of read and read_direct, for a stream (a pipe, the console, com2): take up to
  // n buffered bytes to dst, a user address if user, else a kernel pointer, consuming
  // only what reached it (ring.h): a read into a bad buffer loses nothing.
  long (*take)(struct file *f, uint64_t dst, size_t n, bool user);
  // NULL: the file is not seekable (ESPIPE).
  long (*seek)(struct file *f, int64_t off, int whence);
  void (*close)(struct file *f);
  // Optional: a reference to the file was dropped and others remain (unix.c: the file
  // of a socket may now be held only by messages in flight, a cycle to collect).
  void (*unref)(struct file *f);
  int (*stat)(struct file *f, struct stat *st);
  // Fill buf with linux_dirent64 records starting at entry f->off; advance f->off.
  long (*readdir)(struct file *f, void *buf, size_t n);
  long (*ioctl)(struct file *f, uint64_t req, uint64_t arg);
  // POLL* bits that hold now. NULL: always readable and writable (regular files).
  int (*poll)(struct file *f);
  bool unsigned_offsets; // offsets are addresses: pread/pwrite/lseek take all 64 bits
  // stat by name; NULL: the VFS opens the file and uses stat.
  int (*stat_path)(const char *rest, bool follow, struct stat *st);
  // readlink by name: the link's target, at most n bytes, not NUL-terminated; NULL:
  // the scheme has no links (EINVAL).
  long (*readlink)(const char *rest, char *buf, size_t n);
};

// Boot makes a scheme known by its name, and also at mount (a directory of the root
// tree, e.g. "/proc") if not NULL.
void scheme_register(const struct scheme *s, const char *mount);
const struct scheme *scheme_find(const char *name);

// Paths: absolute, relative to the cwd, or scheme-qualified ("name:rest" of a
// registered scheme; vfs_scheme says which).
int vfs_scheme(const char *path, char *scheme, const char **rest);
int vfs_open(const char *path, int flags, int mode, struct file **out);
int vfs_reopen(struct file *f, const char *path, int flags); // into an existing file
int vfs_stat(const char *path, bool follow, struct stat *st);
long vfs_readlink(const char *path, char *out, size_t n);
int vfs_access(const struct stat *st, int mode);
