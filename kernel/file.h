// Open files (file.c): what an open file is, the descriptor tables that point at open
// files, moving data between a user's buffer and a file, and waiting until files are
// ready. What a file does is its scheme's (scheme.h).
#pragma once
#include "types.h"

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
#define O_DIRECT 040000
#define O_DIRECTORY 0200000
#define O_NOATIME 01000000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE_BIT 020000000 // O_TMPFILE is this with O_DIRECTORY
#define O_TMPFILE (O_TMPFILE_BIT | O_DIRECTORY)
#define SEEK_DATA 3
#define SEEK_HOLE 4

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

#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800 // no automounts here: accepted, no effect

struct scheme;
struct file {
  const struct scheme *scheme;
  int refs;         // descriptors (in any process) that point here
  int flags;        // O_* given at open, O_NONBLOCK/O_APPEND changeable by fcntl
  uint64_t off;     // shared by every descriptor dup'ed from the same open
  void *priv;       // the scheme's
  bool mounted;     // opened through the scheme's directory of the root tree (/proc/...):
                    // a scheme may then act as Linux's file there (procfs: mem)
};

// An O_PATH file is neither: it only names its file (fstat, *at calls, fchdir).
static inline bool file_readable(const struct file *f) {
  return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}
static inline bool file_writable(const struct file *f) {
  return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

// Descriptors of the current thread (fd_close_on_exec: of p; fdt_*: the tables).
struct proc;
struct file *file_get(int fd);            // NULL: not open
struct file *file_of(const struct proc *p, int fd); // p's descriptor fd (NULL: not open)
int fd_install(struct file *f, int min, bool cloexec);
int fd_reserve(int min);                      // a descriptor set aside, or -EMFILE
void fd_unreserve(int fd);
void fd_install_at(int fd, struct file *f, bool cloexec); // at a reserved descriptor
void file_put(struct file *f);
struct file *file_dup(struct file *f);
void fd_close_on_exec(struct proc *p);
struct fdtable;
struct fdtable *fdt_get(struct fdtable *t, bool share);
void fdt_put(struct fdtable *t);
int fd_close(int fd);
bool fd_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);

// read(2) and write(2) of n bytes at *off, checks included; bounce_io() is the part that
// goes through a kernel buffer of at most BOUNCE bytes.
#define BOUNCE 16384
long file_io(struct file *f, uint64_t ubuf, size_t n, uint64_t *off, bool write);
long bounce_io(struct file *f, uint64_t ubuf, size_t n, uint64_t *off, bool write);
bool file_can_read(const struct file *f); // open for reading, by a scheme that reads
long file_read(struct file *f, void *buf, size_t n, uint64_t off); // into a kernel buffer
long file_write(struct file *f, const void *buf, size_t n, uint64_t *off); // from one
#define PIPE_BUF 4096 // writes up to this size are atomic (pipes; vectored writes gather)

// Waiting for files (poll, select). Anything that can make a file ready calls
// poll_notify(), which wakes every poller.
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
struct pollfd_k { // Linux's struct pollfd
  int32_t fd;
  int16_t events, revents;
};
long poll_wait(struct pollfd_k *fds, size_t n, int64_t deadline);
void poll_notify(void);

// For schemes: seeking within size bytes, and directory records.
long seek_generic(struct file *f, int64_t off, int whence, int64_t size);
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};

long dirent_put(void *buf, size_t n, size_t *used, uint64_t ino, int64_t next, int type,
                const char *name, size_t namelen);
