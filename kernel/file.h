// Open files and schemes. A path "name:rest" (or "/scheme/name/rest") goes to the
// scheme called name; any other path to the root file scheme (ramfs.c). A scheme is
// one table of operations; an open file points at its scheme and keeps its own state.
#pragma once
#include "defs.h"

// open(2) flags, Linux's values.
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

struct timespec_k {
  int64_t tv_sec, tv_nsec;
};

// Linux x86-64 struct stat.
struct stat {
  uint64_t st_dev, st_ino, st_nlink;
  uint32_t st_mode, st_uid, st_gid, pad0;
  uint64_t st_rdev;
  int64_t st_size, st_blksize, st_blocks;
  struct timespec_k st_atim, st_mtim, st_ctim;
  int64_t unused[3];
};
_Static_assert(sizeof(struct stat) == 144, "struct stat is Linux's");

struct file;
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
  // NULL: the file is not seekable (ESPIPE).
  long (*seek)(struct file *f, int64_t off, int whence);
  void (*close)(struct file *f);
  int (*stat)(struct file *f, struct stat *st);
  // Fill buf with linux_dirent64 records starting at entry f->off; advance f->off.
  long (*readdir)(struct file *f, void *buf, size_t n);
  long (*ioctl)(struct file *f, uint64_t req, uint64_t arg);
  // POLL* bits that hold now. NULL: always readable and writable (regular files).
  int (*poll)(struct file *f);
  bool unsigned_offsets; // offsets are addresses: pread/pwrite/lseek take all 64 bits
  // stat by name; NULL: the VFS opens the file and uses stat.
  int (*stat_path)(const char *rest, bool follow, struct stat *st);
};

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
// Anything that can make a file ready calls poll_notify(), which wakes every poller.
extern char poll_chan;
static inline void poll_notify(void) { wakeup(&poll_chan); }
int pipe_create(struct file **rd, struct file **wr);
long bounce_io(struct file *f, uint64_t ubuf, size_t n, uint64_t *off, bool write);

struct file {
  const struct scheme *scheme;
  int refs;         // descriptors (in any process) that point here
  int flags;        // O_* given at open, O_NONBLOCK/O_APPEND changeable by fcntl
  uint64_t off;     // shared by every descriptor dup'ed from the same open
  void *priv;       // the scheme's
};

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};

long dirent_put(void *buf, size_t n, size_t *used, uint64_t ino, int64_t next, int type,
                const char *name, size_t namelen);
long seek_generic(struct file *f, int64_t off, int whence, int64_t size);
const struct scheme *scheme_find(const char *name);
static inline bool file_readable(const struct file *f) { return (f->flags & O_ACCMODE) != O_WRONLY; }
static inline bool file_writable(const struct file *f) { return (f->flags & O_ACCMODE) != O_RDONLY; }

extern const struct scheme ramfs_scheme, null_scheme, zero_scheme, debug_scheme, proc_scheme,
    com2_scheme, ctty_scheme;
long procfs_readlink(const char *rest, char *buf, size_t n);
int vfs_reopen(struct file *f, const char *path, int flags);

// ramfs.c: what exec needs from the root file scheme
struct rnode;
int ramfs_resolve(const char *path, bool follow, struct rnode **out);
int ramfs_exec_image(const char *path, const uint8_t **data, size_t *size, uint32_t *mode,
                     uint32_t *uid, uint32_t *gid, char *realpath, size_t realsz, bool *stable);
int ramfs_stat_path(const char *path, bool follow, struct stat *st);
long ramfs_readlink(const char *path, char *buf, size_t n);
int ramfs_file_path(struct file *f, char *out, size_t n);
int ramfs_add_device(const char *path, const char *target); // a node made at run time

// scheme.c
int vfs_stat(const char *path, bool follow, struct stat *st);
long vfs_readlink(const char *path, char *out, size_t n);
int vfs_access(const struct stat *st, int mode);

// sysfile.c: the path argument of an *at() call, copied in and made absolute (or left
// scheme-qualified) into out (PATH_MAX_K bytes). empty_ok: AT_EMPTY_PATH allowed.
#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
int user_path_at(int dirfd, uint64_t upath, char *out, bool empty_ok);

// file.c
bool fd_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);

// ramfs.c: changing the tree (sysfs.c). Paths are clean and absolute, of the root file
// scheme. FS_SLASH in flags: the user's path ended in '/' (which cleaning removed), so
// it must name a directory.
#define FS_SLASH 0x40000000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_IXGRP 00010
#define FS_NOCHANGE 0xffffffffu // chown: keep this id
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define AT_SYMLINK_FOLLOW 0x400
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
int ramfs_mkdir(const char *path, uint32_t mode);
int ramfs_unlink(const char *path, int flags); // flags: AT_REMOVEDIR, FS_SLASH
int ramfs_symlink(const char *target, const char *path, int flags);
int ramfs_link(struct rnode *n, const char *path, int flags);
int ramfs_rename(const char *from, const char *to, int flags);
int ramfs_lookup(const char *path, bool follow, bool must_dir, struct rnode **out);
struct rnode *ramfs_file_node(struct file *f); // NULL: not a file of this scheme
int ramfs_chmod(struct rnode *n, uint32_t mode);
int ramfs_chown(struct rnode *n, uint32_t uid, uint32_t gid);
int ramfs_utimens(struct rnode *n, const struct timespec_k *ts);
int ramfs_truncate(struct rnode *n, uint64_t len, bool check_write);
