// System calls that change the file tree: make, remove, rename and link names, and
// change sizes, modes, owners and times. They turn the user's arguments into clean
// paths of the root file scheme and leave the work to ramfs.c: no other scheme has
// names that can change, so a path into one is read-only (EROFS), or another file
// system for rename and link (EXDEV).
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "path.h"
#include "proc.h"
#include "ramfs.h"
#include "regs.h"
#include "scheme.h"
#include "syscall.h"
#include "vm.h"

// What cleaning a path erases but these calls must still see.
#define TAIL_SLASH 1  // it ends in '/': it must name a directory
#define TAIL_DOTS 2   // its last component is "." or "..", which no entry is called
#define TAIL_DOTDOT 4 // ... and it is ".."

static int tail_of(const char *p) {
  size_t n = strlen(p), s;
  int t = n && p[n - 1] == '/' ? TAIL_SLASH : 0;
  while (n > 0 && p[n - 1] == '/')
    n--;
  for (s = n; s > 0 && p[s - 1] != '/'; s--)
    ;
  if (n - s == 1 && p[s] == '.')
    t |= TAIL_DOTS;
  if (n - s == 2 && p[s] == '.' && p[s + 1] == '.')
    t |= TAIL_DOTS | TAIL_DOTDOT;
  return t;
}

// The path argument of an *at() call into *buf (PATH_MAX_K bytes from kmalloc, the
// caller's to free whatever happens), clean and absolute. Returns 0; 1 if the path is
// empty and empty_ok (AT_EMPTY_PATH: dirfd itself); -EXDEV if it is another scheme's.
static int path_arg(int dirfd, uint64_t upath, bool empty_ok, char **buf, int *tail) {
  char *raw = kmalloc(PATH_MAX_K), scheme[SCHEME_NAME_MAX];
  const char *rest;
  *buf = kmalloc(PATH_MAX_K);
  int r = raw && *buf ? user_path_at(dirfd, upath, raw, empty_ok) : -ENOMEM;
  if (r == 0 && !raw[0])
    r = 1;
  if (r == 0)
    r = vfs_scheme(raw, scheme, &rest);
  if (r == 0 && scheme[0])
    r = -EXDEV;
  if (r == 0) {
    *tail = tail_of(raw);
    r = vfs_clean(raw, *buf) < 0 ? -ENAMETOOLONG : 0;
  }
  kfree(raw);
  return r;
}

// A path whose last component is "." or ".." names a directory but no entry of one,
// so there is nothing to make, remove or rename: Linux fails with err, once it found
// the directory.
static int dots_error(const char *path, int err) {
  struct stat st;
  int r = ramfs_stat_path(path, true, &st);
  return r < 0 ? r : err;
}

static int slash_flag(int tail) { return tail & TAIL_SLASH ? FS_SLASH : 0; }

// ---- names ----
// A new name: a directory (mode's type S_IFDIR: mkdir) or another node (mknod).
static long make_at(int dirfd, uint64_t upath, uint32_t mode, uint64_t dev) {
  char *p;
  int tail = 0;
  long r = path_arg(dirfd, upath, false, &p, &tail);
  if (r == 0 && (tail & TAIL_DOTS))
    r = dots_error(p, -EEXIST);
  else if (r == 0)
    r = S_ISDIR(mode) ? ramfs_mkdir(p, mode) : ramfs_mknod(p, mode, dev);
  kfree(p);
  return r == -EXDEV ? -EROFS : r;
}

// mknod(2): Linux's type checks come before the path is looked at.
static long mknod_at(int dirfd, uint64_t upath, uint32_t mode, uint64_t dev) {
  switch (mode & S_IFMT) {
  case 0: case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
    return make_at(dirfd, upath, mode, dev);
  case S_IFDIR:
    return -EPERM;
  }
  return -EINVAL;
}

long sys_mknod(struct trapframe *tf) { return mknod_at(AT_FDCWD, ARG0, ARG1, ARG2); }
long sys_mknodat(struct trapframe *tf) { return mknod_at(ARG0, ARG1, ARG2, ARG3); }

long sys_mkdir(struct trapframe *tf) { return make_at(AT_FDCWD, ARG0, S_IFDIR | (ARG1 & 07777), 0); }
long sys_mkdirat(struct trapframe *tf) { return make_at(ARG0, ARG1, S_IFDIR | (ARG2 & 07777), 0); }

// unlink(2), rmdir(2) (AT_REMOVEDIR) and unlinkat(2).
static long unlink_at(int dirfd, uint64_t upath, int flags) {
  if (flags & ~AT_REMOVEDIR)
    return -EINVAL;
  bool rmdir = flags & AT_REMOVEDIR;
  char *p;
  int tail = 0;
  long r = path_arg(dirfd, upath, false, &p, &tail);
  if (r == 0 && (tail & TAIL_DOTS)) // rmdir("..") would empty a non-empty directory
    r = dots_error(p, !rmdir ? -EISDIR : (tail & TAIL_DOTDOT) ? -ENOTEMPTY : -EINVAL);
  else if (r == 0)
    r = ramfs_unlink(p, flags | slash_flag(tail));
  kfree(p);
  return r == -EXDEV ? -EROFS : r;
}

long sys_unlink(struct trapframe *tf) { return unlink_at(AT_FDCWD, ARG0, 0); }
long sys_rmdir(struct trapframe *tf) { return unlink_at(AT_FDCWD, ARG0, AT_REMOVEDIR); }
long sys_unlinkat(struct trapframe *tf) { return unlink_at(ARG0, ARG1, ARG2); }

// RENAME_EXCHANGE and RENAME_WHITEOUT are not supported: EINVAL, as from a file system
// without them.
static long rename_at(int olddir, uint64_t uold, int newdir, uint64_t unew, uint64_t flags) {
  if (flags & ~(uint64_t)RENAME_NOREPLACE)
    return -EINVAL;
  char *from, *to;
  int tf = 0, tt = 0;
  long r = path_arg(olddir, uold, false, &from, &tf);
  long r2 = path_arg(newdir, unew, false, &to, &tt);
  r = r ? r : r2;
  if (r == 0 && (tf & TAIL_DOTS))
    r = dots_error(from, -EBUSY);
  if (r == 0 && (tt & TAIL_DOTS))
    r = dots_error(to, (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY);
  if (r == 0)
    r = ramfs_rename(from, to, flags | slash_flag(tf | tt));
  kfree(from);
  kfree(to);
  return r;
}

long sys_rename(struct trapframe *tf) { return rename_at(AT_FDCWD, ARG0, AT_FDCWD, ARG1, 0); }
long sys_renameat(struct trapframe *tf) { return rename_at(ARG0, ARG1, ARG2, ARG3, 0); }
long sys_renameat2(struct trapframe *tf) { return rename_at(ARG0, ARG1, ARG2, ARG3, ARG4); }

static long symlink_at(uint64_t utarget, int dirfd, uint64_t upath) {
  char *target = kmalloc(PATH_MAX_K), *p;
  int tail = 0;
  long r = target ? copyinstr(target, utarget, PATH_MAX_K) : -ENOMEM;
  if (r == 0)
    r = -ENOENT; // an empty target
  if (r > 0)
    r = path_arg(dirfd, upath, false, &p, &tail);
  else
    p = NULL;
  if (r == 0 && (tail & TAIL_DOTS))
    r = dots_error(p, -EEXIST);
  else if (r == 0)
    r = ramfs_symlink(target, p, slash_flag(tail));
  kfree(target);
  kfree(p);
  return r == -EXDEV ? -EROFS : r;
}

long sys_symlink(struct trapframe *tf) { return symlink_at(ARG0, AT_FDCWD, ARG1); }
long sys_symlinkat(struct trapframe *tf) { return symlink_at(ARG0, ARG1, ARG2); }

// The node a descriptor refers to (AT_EMPTY_PATH), or the working directory's.
static int fd_node(int fd, struct rnode **n) {
  if (fd == AT_FDCWD)
    return ramfs_lookup(myproc()->fs->cwd, true, false, n);
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  *n = ramfs_file_node(f);
  return *n ? 0 : -EROFS; // another scheme's file: nothing of it can change
}

// The node (dirfd, upath) names; flags: AT_SYMLINK_NOFOLLOW, AT_SYMLINK_FOLLOW,
// AT_EMPTY_PATH. Returns -EXDEV for another scheme's path.
static int node_at(int dirfd, uint64_t upath, int flags, bool follow, struct rnode **n) {
  char *p;
  int tail = 0;
  int r = path_arg(dirfd, upath, flags & AT_EMPTY_PATH, &p, &tail);
  if (r == 1)
    r = fd_node(dirfd, n);
  else if (r == 0)
    r = ramfs_lookup(p, follow, tail & TAIL_SLASH, n);
  kfree(p);
  return r;
}

static long link_at(int olddir, uint64_t uold, int newdir, uint64_t unew, int flags) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
    return -EINVAL;
  if ((flags & AT_EMPTY_PATH) && myproc()->euid != 0)
    flags &= ~AT_EMPTY_PATH; // Linux wants privilege for linking by descriptor
  struct rnode *n;
  char *p = NULL;
  int tail = 0;
  long r = node_at(olddir, uold, flags, flags & AT_SYMLINK_FOLLOW, &n);
  if (r == 0)
    r = path_arg(newdir, unew, false, &p, &tail);
  if (r == 0 && (tail & TAIL_DOTS))
    r = dots_error(p, -EEXIST);
  else if (r == 0)
    r = ramfs_link(n, p, slash_flag(tail));
  kfree(p);
  return r;
}

long sys_link(struct trapframe *tf) { return link_at(AT_FDCWD, ARG0, AT_FDCWD, ARG1, 0); }
long sys_linkat(struct trapframe *tf) { return link_at(ARG0, ARG1, ARG2, ARG3, ARG4); }

// ---- attributes ----
static long chmod_at(int dirfd, uint64_t upath, uint32_t mode) {
  struct rnode *n;
  long r = node_at(dirfd, upath, 0, true, &n);
  if (r == 0)
    r = ramfs_chmod(n, mode);
  return r == -EXDEV ? -EROFS : r;
}

long sys_chmod(struct trapframe *tf) { return chmod_at(AT_FDCWD, ARG0, ARG1); }
long sys_fchmodat(struct trapframe *tf) { return chmod_at(ARG0, ARG1, ARG2); }

long sys_fchmod(struct trapframe *tf) {
  struct rnode *n;
  int fd = ARG0, r = fd == AT_FDCWD ? -EBADF : fd_node(fd, &n);
  return r < 0 ? r : ramfs_chmod(n, ARG1);
}

static long chown_at(int dirfd, uint64_t upath, uint32_t uid, uint32_t gid, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    return -EINVAL;
  struct rnode *n;
  long r = node_at(dirfd, upath, flags, !(flags & AT_SYMLINK_NOFOLLOW), &n);
  if (r == 0)
    r = ramfs_chown(n, uid, gid);
  return r == -EXDEV ? -EROFS : r;
}

long sys_chown(struct trapframe *tf) { return chown_at(AT_FDCWD, ARG0, ARG1, ARG2, 0); }
long sys_lchown(struct trapframe *tf) {
  return chown_at(AT_FDCWD, ARG0, ARG1, ARG2, AT_SYMLINK_NOFOLLOW);
}
long sys_fchownat(struct trapframe *tf) { return chown_at(ARG0, ARG1, ARG2, ARG3, ARG4); }

long sys_fchown(struct trapframe *tf) {
  struct rnode *n;
  int fd = ARG0, r = fd == AT_FDCWD ? -EBADF : fd_node(fd, &n);
  return r < 0 ? r : ramfs_chown(n, ARG1, ARG2);
}

// utimensat(2) and the older calls, once their times are timespecs (ts NULL: now).
// A NULL path means dirfd itself (how futimens(3) calls it).
static long utimens_at(int dirfd, uint64_t upath, const struct timespec_k *ts, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    return -EINVAL;
  for (int i = 0; ts && i < 2; i++)
    if ((ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000) && ts[i].tv_nsec != UTIME_NOW &&
        ts[i].tv_nsec != UTIME_OMIT)
      return -EINVAL;
  struct rnode *n;
  long r;
  if (!upath && dirfd == AT_FDCWD)
    r = -EFAULT;
  else if (!upath)
    r = flags & AT_SYMLINK_NOFOLLOW ? -EINVAL : fd_node(dirfd, &n);
  else
    r = node_at(dirfd, upath, flags, !(flags & AT_SYMLINK_NOFOLLOW), &n);
  if (r == 0)
    r = ramfs_utimens(n, ts);
  return r == -EXDEV ? -EROFS : r;
}

long sys_utimensat(struct trapframe *tf) {
  struct timespec_k ts[2];
  if (ARG2 && copyin(ts, ARG2, sizeof ts) < 0)
    return -EFAULT;
  return utimens_at(ARG0, ARG1, ARG2 ? ts : NULL, ARG3);
}

// futimesat(2) and utimes(2) take struct timeval: microseconds.
static long utimes_at(int dirfd, uint64_t upath, uint64_t utv) {
  int64_t tv[4];
  struct timespec_k ts[2];
  if (utv && copyin(tv, utv, sizeof tv) < 0)
    return -EFAULT;
  for (int i = 0; utv && i < 2; i++) {
    if (tv[2 * i + 1] < 0 || tv[2 * i + 1] >= 1000000)
      return -EINVAL;
    ts[i] = (struct timespec_k){.tv_sec = tv[2 * i], .tv_nsec = tv[2 * i + 1] * 1000};
  }
  return utimens_at(dirfd, upath, utv ? ts : NULL, 0);
}

long sys_utimes(struct trapframe *tf) { return utimes_at(AT_FDCWD, ARG0, ARG1); }
long sys_futimesat(struct trapframe *tf) { return utimes_at(ARG0, ARG1, ARG2); }

// utime(2): struct utimbuf, whole seconds.
long sys_utime(struct trapframe *tf) {
  int64_t t[2] = {0, 0};
  if (ARG1 && copyin(t, ARG1, sizeof t) < 0)
    return -EFAULT;
  struct timespec_k ts[2] = {{.tv_sec = t[0]}, {.tv_sec = t[1]}};
  return utimens_at(AT_FDCWD, ARG0, ARG1 ? ts : NULL, 0);
}

// ---- sizes and syncing ----
long sys_truncate(struct trapframe *tf) {
  if ((int64_t)ARG1 < 0)
    return -EINVAL;
  struct rnode *n;
  long r = node_at(AT_FDCWD, ARG0, 0, true, &n);
  if (r == 0)
    r = ramfs_truncate(n, ARG1, true);
  return r == -EXDEV ? -EROFS : r;
}

// As Linux: a negative length, or a descriptor not open for writing or not of a
// regular file, is EINVAL; only a descriptor that is not open at all is EBADF.
long sys_ftruncate(struct trapframe *tf) {
  if ((int64_t)ARG1 < 0)
    return -EINVAL;
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  struct rnode *n = ramfs_file_node(f);
  if (!n || !file_writable(f))
    return -EINVAL;
  return ramfs_truncate(n, ARG1, false);
}

// Everything is in memory already, so there is nothing to wait for; files of other
// schemes (the console, /dev/null) cannot be synced, as on Linux.
static long sync_fd(int fd) {
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  return ramfs_file_node(f) ? 0 : -EINVAL;
}

long sys_fsync(struct trapframe *tf) { return sync_fd(ARG0); }
long sys_fdatasync(struct trapframe *tf) { return sync_fd(ARG0); }
