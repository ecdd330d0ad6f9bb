// File system calls: descriptors, paths, reads and writes (which file_io() in file.c
// moves).
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "lock.h"
#include "path.h"
#include "pipe.h"
#include "proc.h"
#include "ramfs.h"
#include "regs.h"
#include "scheme.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"

#define IOV_MAX 1024

// ---- reading and writing ----
static long do_read(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  return file_io(f, ubuf, n, off, false);
}

static long do_write(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  return file_io(f, ubuf, n, off, true);
}

long sys_read(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  return f ? do_read(f, ARG1, ARG2, &f->off) : -EBADF;
}

long sys_write(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  return f ? do_write(f, ARG1, ARG2, &f->off) : -EBADF;
}

static long positional(struct trapframe *tf, bool write) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  if (!f->scheme->seek)
    return -ESPIPE;
  if ((int64_t)ARG3 < 0 && !f->scheme->unsigned_offsets)
    return -EINVAL;
  uint64_t off = ARG3;
  return write ? do_write(f, ARG1, ARG2, &off) : do_read(f, ARG1, ARG2, &off);
}

long sys_pread64(struct trapframe *tf) { return positional(tf, false); }
long sys_pwrite64(struct trapframe *tf) { return positional(tf, true); }

struct iovec_k {
  uint64_t base, len;
};

// A vectored write of at most PIPE_BUF bytes is one write, as Linux's: gathered first,
// so a pipe takes all of it or none, and no other writer's bytes come between its
// pieces. (Not for schemes that take user buffers themselves: a trace session's write
// is one value.)
static long gathered_write(struct file *f, const struct iovec_k *iov, int cnt, size_t total) {
  if (!file_writable(f) || !f->scheme->write)
    return -EBADF; // (before the buffers are looked at, as Linux)
  char *kbuf = kmalloc(total + 1);
  if (!kbuf)
    return -ENOMEM;
  long r = 0;
  for (size_t i = 0, at = 0; i < (size_t)cnt && r == 0; at += iov[i++].len)
    r = copyin(kbuf + at, iov[i].base, iov[i].len);
  if (r == 0)
    r = file_write(f, kbuf, total, &f->off);
  kfree(kbuf);
  return r;
}

static long vectored(struct trapframe *tf, bool write) {
  struct file *f = file_get(ARG0);
  int cnt = ARG2;
  if (!f)
    return -EBADF;
  if (cnt < 0 || cnt > IOV_MAX)
    return -EINVAL;
  struct iovec_k *iov = kmalloc(cnt * sizeof *iov + 1);
  long r = -ENOMEM, done = 0;
  if (!iov)
    return r;
  if ((r = copyin(iov, ARG1, cnt * sizeof *iov)) < 0)
    goto out;
  uint64_t total = 0;
  for (int i = 0; i < cnt; i++, total += iov[i - 1].len)
    if (iov[i].len > INT64_MAX - total) {
      r = -EINVAL;
      goto out;
    }
  if (write && cnt > 1 && total && total <= PIPE_BUF && !f->scheme->write_direct) {
    r = gathered_write(f, iov, cnt, total);
    goto out;
  }
  for (int i = 0; i < cnt; i++) {
    if (!iov[i].len)
      continue;
    r = write ? do_write(f, iov[i].base, iov[i].len, &f->off) : do_read(f, iov[i].base, iov[i].len, &f->off);
    if (r < 0)
      break;
    done += r;
    if ((uint64_t)r < iov[i].len)
      break;
    // As Linux, a vectored read is one read: once it has bytes it never waits for more
    // (a pipe holding just what the first buffers took).
    if (!write && f->scheme->poll && !(f->scheme->poll(f) & (POLLIN | POLLHUP)))
      break;
  }
  r = done ? done : r;
out:
  kfree(iov);
  return r;
}

long sys_readv(struct trapframe *tf) { return vectored(tf, false); }
long sys_writev(struct trapframe *tf) { return vectored(tf, true); }

long sys_lseek(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  if (!f->scheme->seek)
    return -ESPIPE;
  return f->scheme->seek(f, ARG1, ARG2);
}

long sys_ioctl(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  return f->scheme->ioctl ? f->scheme->ioctl(f, ARG1, ARG2) : -ENOTTY;
}

// ---- paths ----
// The path argument of an *at() call as a path the VFS takes: absolute, scheme-
// qualified, or made absolute from the directory dirfd refers to. out: PATH_MAX_K.
int user_path_at(int dirfd, uint64_t upath, char *out, bool empty_ok) {
  long n = copyinstr(out, upath, PATH_MAX_K);
  if (n < 0)
    return n;
  if (n == 0)
    return empty_ok ? 0 : -ENOENT;
  char scheme[SCHEME_NAME_MAX];
  const char *rest;
  if (out[0] == '/' || dirfd == AT_FDCWD || (vfs_scheme(out, scheme, &rest) == 0 && scheme[0]))
    return 0;
  struct file *d = file_get(dirfd);
  if (!d)
    return -EBADF;
  char *tmp = kmalloc(PATH_MAX_K);
  if (!tmp)
    return -ENOMEM;
  char *rel = kstrdup(out);
  int r = rel ? ramfs_file_path(d, tmp, PATH_MAX_K) : -ENOMEM;
  const char *dir = tmp;
  if (r >= 0 && vfs_view(tmp)) // the result is a path as the caller sees it (chroot)
    dir = vfs_view(tmp);
  if (r >= 0)
    r = path_clean(dir, rel, out, PATH_MAX_K) < 0 ? -ENAMETOOLONG : 0;
  kfree(tmp);
  kfree(rel);
  return r;
}

static long open_at(int dirfd, uint64_t upath, int flags, int mode) {
  // O_TMPFILE: with O_DIRECTORY (part of it), without O_CREAT, for writing (Linux).
  if ((flags & O_TMPFILE_BIT) &&
      ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || !(flags & (O_WRONLY | O_RDWR))))
    return -EINVAL;
  if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
    return -EINVAL; // as Linux: never a file made by an open that then fails (ENOTDIR)
  char *path = kmalloc(PATH_MAX_K);
  if (!path)
    return -ENOMEM;
  struct file *f;
  int fd = fd_reserve(0); // first: a full table refuses the open before it has any effect
  long r = fd < 0 ? fd : user_path_at(dirfd, upath, path, false);
  if (r >= 0)
    r = vfs_open(path, flags & ~O_CLOEXEC, mode, &f);
  if (r >= 0) {
    fd_install_at(fd, f, flags & O_CLOEXEC);
    r = fd;
  } else if (fd >= 0) {
    fd_unreserve(fd);
  }
  kfree(path);
  return r;
}

long sys_open(struct trapframe *tf) { return open_at(AT_FDCWD, ARG0, ARG1, ARG2); }
long sys_openat(struct trapframe *tf) { return open_at(ARG0, ARG1, ARG2, ARG3); }
long sys_creat(struct trapframe *tf) { return open_at(AT_FDCWD, ARG0, O_CREAT | O_WRONLY | O_TRUNC, ARG1); }
long sys_close(struct trapframe *tf) { return fd_close(ARG0); }

static long stat_at(int dirfd, uint64_t upath, uint64_t ust, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
    return -EINVAL;
  char *path = kmalloc(PATH_MAX_K);
  if (!path)
    return -ENOMEM;
  struct stat st;
  long r = user_path_at(dirfd, upath, path, flags & AT_EMPTY_PATH);
  if (r >= 0 && !path[0]) { // AT_EMPTY_PATH: dirfd itself
    struct file *f = dirfd == AT_FDCWD ? NULL : file_get(dirfd);
    r = dirfd == AT_FDCWD ? vfs_stat(".", true, &st) : f ? f->scheme->stat(f, &st) : -EBADF;
  } else if (r >= 0) {
    r = vfs_stat(path, !(flags & AT_SYMLINK_NOFOLLOW), &st);
  }
  if (r >= 0)
    r = copyout(ust, &st, sizeof st);
  kfree(path);
  return r;
}

long sys_stat(struct trapframe *tf) { return stat_at(AT_FDCWD, ARG0, ARG1, 0); }
long sys_lstat(struct trapframe *tf) { return stat_at(AT_FDCWD, ARG0, ARG1, AT_SYMLINK_NOFOLLOW); }
long sys_newfstatat(struct trapframe *tf) { return stat_at(ARG0, ARG1, ARG2, ARG3); }

// Extended attributes: no file here has any. Once the file and the name check out,
// the getters say so (ENODATA) and the listers give an empty list, so programs that
// look for ACLs or security labels (ls -l, cp -a) see plain files. fd < 0: by path.
static long xattr_of(int fd, uint64_t upath, uint64_t uname, bool follow) {
  long r = 0;
  if (fd >= 0) {
    r = file_get(fd) ? 0 : -EBADF;
  } else {
    char *path = kmalloc(PATH_MAX_K);
    struct stat st;
    if (!path)
      return -ENOMEM;
    r = user_path_at(AT_FDCWD, upath, path, false);
    if (r >= 0)
      r = vfs_stat(path, follow, &st);
    kfree(path);
  }
  if (r < 0 || !uname)
    return r < 0 ? r : 0; // a list: empty
  char name[256];
  r = copyinstr(name, uname, sizeof name);
  return r == -ENAMETOOLONG || r == 0 ? -ERANGE : r < 0 ? r : -ENODATA;
}

long sys_getxattr(struct trapframe *tf) { return xattr_of(-1, ARG0, ARG1, true); }
long sys_lgetxattr(struct trapframe *tf) { return xattr_of(-1, ARG0, ARG1, false); }
long sys_fgetxattr(struct trapframe *tf) { return (int)ARG0 < 0 ? -EBADF : xattr_of(ARG0, 0, ARG1, true); }
long sys_listxattr(struct trapframe *tf) { return xattr_of(-1, ARG0, 0, true); }
long sys_llistxattr(struct trapframe *tf) { return xattr_of(-1, ARG0, 0, false); }
long sys_flistxattr(struct trapframe *tf) { return (int)ARG0 < 0 ? -EBADF : xattr_of(ARG0, 0, 0, true); }

long sys_fstat(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  struct stat st;
  int r = f->scheme->stat ? f->scheme->stat(f, &st) : -EBADF;
  return r < 0 ? r : copyout(ARG1, &st, sizeof st);
}

static long access_at(int dirfd, uint64_t upath, int mode) {
  if (mode & ~7)
    return -EINVAL;
  char *path = kmalloc(PATH_MAX_K);
  if (!path)
    return -ENOMEM;
  struct stat st;
  long r = user_path_at(dirfd, upath, path, false);
  if (r >= 0)
    r = vfs_stat(path, true, &st);
  if (r >= 0)
    r = vfs_access(&st, mode);
  kfree(path);
  return r;
}

long sys_access(struct trapframe *tf) { return access_at(AT_FDCWD, ARG0, ARG1); }
long sys_faccessat(struct trapframe *tf) { return access_at(ARG0, ARG1, ARG2); }

static long readlink_at(int dirfd, uint64_t upath, uint64_t ubuf, int64_t size) {
  if (size <= 0)
    return -EINVAL;
  char *path = kmalloc(PATH_MAX_K), *buf = kmalloc(PATH_MAX_K);
  long r = -ENOMEM;
  if (path && buf)
    r = user_path_at(dirfd, upath, path, false);
  if (r >= 0)
    r = vfs_readlink(path, buf, MIN((uint64_t)size, PATH_MAX_K));
  if (r >= 0 && copyout(ubuf, buf, r) < 0)
    r = -EFAULT;
  kfree(path);
  kfree(buf);
  return r;
}

long sys_readlink(struct trapframe *tf) { return readlink_at(AT_FDCWD, ARG0, ARG1, ARG2); }
long sys_readlinkat(struct trapframe *tf) { return readlink_at(ARG0, ARG1, ARG2, ARG3); }

long sys_getdents64(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  if (!f->scheme->readdir)
    return -ENOTDIR;
  size_t n = MIN(ARG2, BOUNCE);
  if (!user_range_ok(ARG1, n))
    return -EFAULT;
  char *kbuf = kmalloc(BOUNCE);
  if (!kbuf)
    return -ENOMEM;
  uint64_t saved = f->off;
  long r = f->scheme->readdir(f, kbuf, n);
  if (r > 0 && copyout(ARG1, kbuf, r) < 0) {
    f->off = saved; // nothing was delivered: don't skip the entries
    r = -EFAULT;
  }
  kfree(kbuf);
  return r;
}

// ---- descriptors ----
long sys_dup(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  int fd = fd_install(file_dup(f), 0, false);
  if (fd < 0)
    file_put(f);
  return fd;
}

static long dup_to(int oldfd, int newfd, int flags) {
  struct file *f = file_get(oldfd);
  if (!f || newfd < 0 || (uint64_t)newfd >= MIN(NOFILE, myproc()->leader->rlim[RLIMIT_NOFILE][0]))
    return -EBADF;
  if (flags & ~O_CLOEXEC)
    return -EINVAL;
  if (oldfd == newfd)
    return newfd;
  file_dup(f);
  fd_close(newfd);
  return fd_install(f, newfd, flags & O_CLOEXEC);
}

long sys_dup2(struct trapframe *tf) {
  if (ARG0 == ARG1) // dup2 of a descriptor to itself only checks it
    return file_get(ARG0) ? (long)ARG1 : -EBADF;
  return dup_to(ARG0, ARG1, 0);
}

long sys_dup3(struct trapframe *tf) {
  if (ARG2 & ~O_CLOEXEC) // bad flags before a bad descriptor, as Linux
    return -EINVAL;
  if (ARG0 == ARG1)
    return -EINVAL;
  return dup_to(ARG0, ARG1, ARG2);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_SETLEASE 1024
#define F_GETLEASE 1025
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032

// Linux's struct flock.
struct flock_k {
  int16_t type, whence;
  int64_t start, len;
  int32_t pid, pad;
};
#define OFFSET_MAX INT64_MAX // a lock "to the end of the file", however it grows

// The byte range a struct flock names, from its whence (f's offset or size).
static int flock_range(struct file *f, const struct flock_k *fl, struct lockreq *req) {
  int64_t base = 0;
  struct stat st;
  switch (fl->whence) {
  case 0: break;
  case 1: base = f->off; break;
  case 2:
    if (f->scheme->stat && f->scheme->stat(f, &st) == 0)
      base = st.st_size;
    break;
  default: return -EINVAL;
  }
  int64_t start = base + fl->start, end = OFFSET_MAX;
  if (start < 0)
    return -EINVAL;
  if (fl->len > 0) {
    if (fl->len - 1 > OFFSET_MAX - start)
      return -EOVERFLOW;
    end = start + fl->len - 1;
  } else if (fl->len < 0) {
    end = start - 1;
    start += fl->len;
    if (start < 0)
      return -EINVAL;
  }
  req->start = start, req->end = end;
  return 0;
}

// F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms (ofd).
static long fcntl_lock(struct file *f, int cmd, uint64_t ufl) {
  bool ofd = cmd >= F_OFD_GETLK, get = cmd == F_GETLK || cmd == F_OFD_GETLK;
  struct flock_k fl;
  struct lockreq req;
  if (copyin(&fl, ufl, sizeof fl) < 0)
    return -EFAULT;
  if (ofd && fl.pid != 0)
    return -EINVAL;
  int r = flock_range(f, &fl, &req);
  if (r < 0)
    return r;
  req.type = fl.type;
  if (fl.type != F_RDLCK && fl.type != F_WRLCK && (get || fl.type != F_UNLCK))
    return -EINVAL;
  if (get) {
    lock_get(f, ofd, &req);
    fl.type = req.type;
    if (req.type != F_UNLCK) {
      fl.whence = 0, fl.start = req.start, fl.pid = req.pid;
      fl.len = req.end == OFFSET_MAX ? 0 : req.end - req.start + 1;
    }
    return copyout(ufl, &fl, sizeof fl);
  }
  if ((fl.type == F_RDLCK && !file_readable(f)) || (fl.type == F_WRLCK && !file_writable(f)))
    return -EBADF;
  return lock_set(f, ofd, &req, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

long sys_flock(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  return f ? lock_flock(f, ARG1) : -EBADF;
}

long sys_fcntl(struct trapframe *tf) {
  int fd = ARG0;
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  unsigned int cmd = ARG1; // (an int: Linux ignores the upper half, strace's tests set it)
  switch (cmd) {
  case F_GETLK:
  case F_SETLK:
  case F_SETLKW:
  case F_OFD_GETLK:
  case F_OFD_SETLK:
  case F_OFD_SETLKW:
    return fcntl_lock(f, cmd, ARG2);
  // Leases: Vitrine's file systems take none, as Linux's that have no setlease
  // (simple_nosetlease: EINVAL whatever the argument); so no file has a lease on it.
  case F_GETLEASE:
    return F_UNLCK;
  case F_SETLEASE:
    return -EINVAL;
  case F_GETPIPE_SZ:
    return pipe_get_size(f);
  case F_SETPIPE_SZ:
    return pipe_set_size(f, ARG2);
  case F_DUPFD:
  case F_DUPFD_CLOEXEC: {
    if ((int64_t)ARG2 < 0 || ARG2 >= MIN(NOFILE, myproc()->leader->rlim[RLIMIT_NOFILE][0]))
      return -EINVAL;
    int r = fd_install(file_dup(f), ARG2, cmd == F_DUPFD_CLOEXEC);
    if (r < 0)
      file_put(f);
    return r;
  }
  case F_GETFD:
    return fd_cloexec(fd) ? FD_CLOEXEC : 0;
  case F_SETFD:
    fd_set_cloexec(fd, ARG2 & FD_CLOEXEC);
    return 0;
  case F_GETFL:
    return f->flags;
  case F_SETFL:
    f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (ARG2 & (O_APPEND | O_NONBLOCK));
    return 0;
  }
  return -EINVAL;
}

// ---- working directory ----
// As seen inside the root; a directory outside it (chroot without chdir) is
// "(unreachable)" followed by its path, as Linux says.
long sys_getcwd(struct trapframe *tf) {
  const char *cwd = myproc()->fs->cwd, *view = vfs_view(cwd);
  const char *pre = view ? "" : "(unreachable)";
  if (!view)
    view = cwd;
  size_t lp = strlen(pre), n = lp + strlen(view) + 1;
  if (ARG1 < n)
    return -ERANGE;
  int r = copyout(ARG0, pre, lp);
  if (r == 0)
    r = copyout(ARG0 + lp, view, n - lp);
  return r < 0 ? r : (long)n;
}

// Replace the working directory or the root (*slot: one of myproc()->fs's) by path.
static int set_fs_path(char **slot, const char *path) {
  char *d = kstrdup(path);
  if (!d)
    return -ENOMEM;
  kfree(*slot);
  *slot = d;
  return 0;
}

static int set_cwd(const char *path) { return set_fs_path(&myproc()->fs->cwd, path); }

// The directory chdir or chroot names, as a real path in *clean (PATH_MAX_K bytes from
// kmalloc; the caller frees it whatever happens): one the caller may search (ENOENT,
// ENOTDIR, EACCES). tree_only: another scheme's path is ENOTDIR.
static long dir_arg(uint64_t upath, bool tree_only, char **clean) {
  char *path = kmalloc(PATH_MAX_K), scheme[SCHEME_NAME_MAX];
  const char *rest;
  struct stat st;
  *clean = kmalloc(PATH_MAX_K);
  long r = path && *clean ? user_path_at(AT_FDCWD, upath, path, false) : -ENOMEM;
  if (r >= 0 && tree_only && vfs_scheme(path, scheme, &rest) == 0 && scheme[0])
    r = -ENOTDIR;
  if (r >= 0)
    r = vfs_clean(path, *clean);
  if (r >= 0)
    r = vfs_stat(path, true, &st);
  if (r >= 0 && !S_ISDIR(st.st_mode))
    r = -ENOTDIR;
  if (r >= 0)
    r = vfs_access(&st, 1);
  kfree(path);
  return r;
}

long sys_chdir(struct trapframe *tf) {
  char *clean;
  long r = dir_arg(ARG0, false, &clean);
  if (r >= 0)
    r = set_cwd(clean);
  kfree(clean);
  return r;
}

// chroot(2): the path must name a directory the caller may search (ENOENT, ENOTDIR,
// EACCES first, as Linux), and only root may (EPERM). Another scheme's path names no
// directory of the tree (ENOTDIR). The working directory stays where it is, even
// outside the new root (Linux's too).
long sys_chroot(struct trapframe *tf) {
  char *clean;
  long r = dir_arg(ARG0, true, &clean);
  if (r >= 0 && myproc()->euid != 0)
    r = -EPERM;
  if (r >= 0)
    r = set_fs_path(&myproc()->fs->root, clean);
  kfree(clean);
  return r;
}

long sys_fchdir(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  if (!f)
    return -EBADF;
  char *path = kmalloc(PATH_MAX_K);
  if (!path)
    return -ENOMEM;
  long r = ramfs_file_path(f, path, PATH_MAX_K);
  if (r >= 0)
    r = set_cwd(path);
  kfree(path);
  return r;
}

// ---- statfs ----
// What a file lives on, from its st_dev: the archive tree (read-only), the tmpfs of
// /tmp and of /dev/shm, proc:, and everything else (devices, pipes).
struct statfs_k {
  int64_t f_type, f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct statfs_k) == 120, "Linux's struct statfs");
#define ST_RDONLY 1
#define ST_VALID 0x20 // f_flags is filled in (Linux sets it always)

static long put_statfs(const struct stat *st, uint64_t ubuf) {
  static const struct { uint64_t dev; int64_t magic, flags; } fs[] = {
      {1, 0x858458f6, ST_RDONLY}, // ramfs: the archive's tree
      {2, 0x01021994, 0},         // tmpfs: /tmp
      {4, 0x01021994, 0},         // tmpfs: /dev/shm
      {3, 0x9fa0, 0},             // proc
  };
  struct statfs_k s = {.f_type = 0x01021994, .f_bsize = PAGE_SIZE, .f_frsize = PAGE_SIZE,
                       .f_namelen = 255, .f_fsid = {(int32_t)st->st_dev, 0}, .f_flags = ST_VALID};
  for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
    if (fs[i].dev == st->st_dev)
      s.f_type = fs[i].magic, s.f_flags |= fs[i].flags;
  // Blocks: what the tree's files hold; a tmpfs can grow into all free memory, the
  // read-only tree not at all.
  uint64_t used = (ramfs_bytes(st->st_dev) + PAGE_SIZE - 1) / PAGE_SIZE;
  if (st->st_dev == 1)
    s.f_blocks = used;
  if (st->st_dev == 2 || st->st_dev == 4) {
    s.f_blocks = used + pages_free(), s.f_bfree = s.f_bavail = pages_free();
    s.f_files = 65536, s.f_ffree = 65536;
  }
  return copyout(ubuf, &s, sizeof s);
}

long sys_statfs(struct trapframe *tf) {
  char *path = kmalloc(PATH_MAX_K);
  struct stat st;
  if (!path)
    return -ENOMEM;
  long r = user_path_at(AT_FDCWD, ARG0, path, false);
  if (r >= 0)
    r = vfs_stat(path, true, &st);
  if (r >= 0)
    r = put_statfs(&st, ARG1);
  kfree(path);
  return r;
}

long sys_fstatfs(struct trapframe *tf) {
  struct file *f = file_get(ARG0);
  struct stat st;
  if (!f)
    return -EBADF;
  int r = f->scheme->stat ? f->scheme->stat(f, &st) : -EBADF;
  return r < 0 ? r : put_statfs(&st, ARG1);
}
