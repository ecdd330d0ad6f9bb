// usertests: Vitrine's in-guest system call test suite, in the style of xv6's.
//
// Each test is a function in the table at the end of the file, run by the shared
// runner (user/lib/utest.h: one child per test, "PASS name" / "FAIL name: reason"
// lines, and always "N passed, N failed" last).
//
//   usertests            run every test
//   usertests NAME...    run only the named tests
//   usertests -l         list the tests
//
// The reference is Linux: every test passes on the host when the binary (built with
// musl-gcc -static) runs natively there. The few checks that assert a rule Vitrine
// sets where Linux differs are gated on uname's sysname being "Vitrine".
//
// On the host, the malformed ELF files from tools/mkbadelf are looked up in
// $BADELF_DIR (default build/tests); on Vitrine in /tests.
//
// No alarm() anywhere: the kernel may not deliver timer signals yet, and the outer
// harness has its own timeout. Output goes through write(2), never buffered stdio, so
// nothing is printed twice by a forked child.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "readfile.h"
#include "utest.h"

#define PAGE 4096UL
#define EXEC_FAILED 100 // a child whose execve failed exits EXEC_FAILED + errno
#define RAN_STATUS 99   // what a malformed ELF from mkbadelf exits with if it runs

// Linux's arch_prctl codes (<asm/prctl.h> is not in musl's headers).
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

// ---------------------------------------------------------------------------------
// Process helpers

static int open_self(void) { return OK(sc(SYS_open, g_self, O_RDONLY, 0)); }

// The process must still work after a bad call: same pid, files open and read,
// writes go through.
static void still_alive(void) {
  CHECK(sc(SYS_getpid) == g_test_pid);
  int fd = open_self();
  char b[4];
  CHECK(sc(SYS_read, fd, b, 4) == 4 && memcmp(b, ELFMAG, 4) == 0);
  CHECK(sc(SYS_close, fd) == 0);
  CHECK(sc(SYS_write, 1, "", 0) == 0);
}

// An empty file in /tmp, opened with flags, already unlinked so a failing test leaves
// nothing behind. Vitrine may lack unlink: its error is ignored, and O_TRUNC (not
// O_EXCL) copes with a leftover file of a process that had the same pid.
static int scratch_open(int flags) {
  static int seq;
  char path[80];
  snprintf(path, sizeof path, "/tmp/usertests.%ld.%d", sc(SYS_getpid), seq++);
  int fd = OK(sc(SYS_open, path, flags | O_CREAT | O_TRUNC, 0600));
  sc(SYS_unlink, path);
  return fd;
}

static void *xmmap(void *addr, size_t len, int prot, int flags) {
  long r = OK(sc(SYS_mmap, addr, len, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  return (void *)r;
}

// Bad user pointers that every call taking a buffer must refuse with EFAULT.
#define NBAD 6
static void *bad_ptr(int i) {
  static void *unmapped;
  if (!unmapped) { // a page that was mapped and is not any more
    unmapped = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
    OK(sc(SYS_munmap, unmapped, PAGE));
  }
  static const uintptr_t fixed[NBAD - 1] = {
      0,                     // NULL
      1,                     // first page, unaligned
      0xffff800000000000UL,  // start of the kernel half
      0xffffffff80100000UL,  // the kernel image
      0x0000800000000000UL,  // first non-canonical address
  };
  void *p = i < NBAD - 1 ? (void *)fixed[i] : unmapped;
  ctx("[pointer %p]", p);
  return p;
}

// ---------------------------------------------------------------------------------
// read, write, readv, writev

static void t_read_file(void) {
  int fd = open_self();
  char b[8];
  CHECK(sc(SYS_read, fd, b, 4) == 4);
  CHECK(memcmp(b, ELFMAG, 4) == 0);
  CHECK(sc(SYS_read, fd, b, 0) == 0);
  CHECK(sc(SYS_read, fd, b, 1) == 1 && b[0] == ELFCLASS64); // offset advanced to 4
  long size = OK(sc(SYS_lseek, fd, 0, SEEK_END));
  CHECK(size > 4);
  CHECK(sc(SYS_read, fd, b, sizeof b) == 0); // end of file
  OK(sc(SYS_lseek, fd, size - 2, SEEK_SET));
  CHECK(sc(SYS_read, fd, b, sizeof b) == 2); // short read at the end
}

static void t_write_file(void) {
  int fd = scratch_open(O_RDWR);
  CHECK(sc(SYS_write, fd, "hello", 5) == 5);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 5);
  OK(sc(SYS_lseek, fd, 10, SEEK_SET));
  CHECK(sc(SYS_write, fd, "X", 1) == 1); // leaves a hole at 5..9
  char b[16];
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  CHECK(sc(SYS_read, fd, b, sizeof b) == 11);
  CHECK(memcmp(b, "hello\0\0\0\0\0X", 11) == 0);
  CHECK(sc(SYS_write, fd, b, 0) == 0);
}

static void t_write_console(void) {
  CHECK(sc(SYS_write, 1, "", 0) == 0);
  static const char line[] = "# write: console\n";
  CHECK(sc(SYS_write, 1, line, sizeof line - 1) == sizeof line - 1);
}

static void t_readv_file(void) {
  int fd = open_self();
  char a[2], b[1], c[1];
  struct iovec iov[4] = {{a, 2}, {b, 0}, {b, 1}, {c, 1}}; // a zero-length one is skipped
  CHECK(sc(SYS_readv, fd, iov, 4) == 4);
  CHECK(memcmp(a, "\177E", 2) == 0 && b[0] == 'L' && c[0] == 'F');
  CHECK(sc(SYS_readv, fd, iov, 0) == 0);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 4);
}

static void t_writev_file(void) {
  int fd = scratch_open(O_RDWR);
  struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
  CHECK(sc(SYS_writev, fd, iov, 3) == 5);
  char x[2], y[8];
  struct iovec rv[2] = {{x, 2}, {y, sizeof y}};
  OK(sc(SYS_lseek, fd, 0, SEEK_SET));
  CHECK(sc(SYS_readv, fd, rv, 2) == 5);
  CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
}

// musl's printf goes through writev on stdout: the console must gather iovecs.
static void t_writev_console(void) {
  struct iovec iov[3] = {{"# writev: ", 10}, {"", 0}, {"console\n", 8}};
  CHECK(sc(SYS_writev, 1, iov, 3) == 18);
}

// iovcnt must be 0..1024 (UIO_MAXIOV).
static void t_readv_einval(void) {
  static struct iovec iov[1025]; // all zero-length
  int fd = open_self();
  EXPECT_ERR(sc(SYS_readv, fd, iov, -1), EINVAL);
  EXPECT_ERR(sc(SYS_readv, fd, iov, 1025), EINVAL);
  EXPECT_ERR(sc(SYS_writev, 1, iov, -1), EINVAL);
  EXPECT_ERR(sc(SYS_writev, 1, iov, 1025), EINVAL);
  CHECK(sc(SYS_readv, fd, iov, 1024) == 0);
  CHECK(sc(SYS_writev, 1, iov, 1024) == 0);
  still_alive();
}

// ---------------------------------------------------------------------------------
// open, openat, close

static void t_open_errors(void) {
  char p[300];
  EXPECT_ERR(sc(SYS_open, "/no-such-file-vitrine", O_RDONLY, 0), ENOENT);
  EXPECT_ERR(sc(SYS_open, "", O_RDONLY, 0), ENOENT);
  snprintf(p, sizeof p, "%s/x", g_self); // a regular file used as a directory
  EXPECT_ERR(sc(SYS_open, p, O_RDONLY, 0), ENOTDIR);
  EXPECT_ERR(sc(SYS_open, g_self, O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
  EXPECT_ERR(sc(SYS_open, "/", O_WRONLY, 0), EISDIR);
  EXPECT_ERR(sc(SYS_open, g_self, O_RDONLY | O_CREAT | O_EXCL, 0600), EEXIST);
  int fd = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  OK(sc(SYS_close, fd));
  still_alive();
}

static void t_open_toolong(void) {
  static char p[5000];
  memset(p, 'a', sizeof p - 1);
  p[0] = '/';
  EXPECT_ERR(sc(SYS_open, p, O_RDONLY, 0), ENAMETOOLONG); // longer than PATH_MAX
  still_alive();
}

// open returns the lowest free descriptor (POSIX).
static void t_open_lowest_fd(void) {
  int a = open_self(), b = open_self(), c = open_self();
  CHECK(a < b && b < c);
  OK(sc(SYS_close, b));
  CHECK(open_self() == b);
  OK(sc(SYS_close, a));
  OK(sc(SYS_close, c));
  CHECK(open_self() == a);
}

static void t_open_many(void) {
  int fds[64];
  for (int i = 0; i < 64; i++)
    fds[i] = open_self();
  for (int i = 0; i < 64; i++)
    OK(sc(SYS_close, fds[i]));
  for (int i = 0; i < 64; i++)
    EXPECT_ERR(sc(SYS_close, fds[i]), EBADF);
}

// Separate opens have separate offsets.
static void t_open_offsets(void) {
  int a = open_self(), b = open_self();
  char x[4];
  CHECK(sc(SYS_read, a, x, 4) == 4);
  CHECK(sc(SYS_lseek, b, 0, SEEK_CUR) == 0);
}

static void t_open_trunc_append(void) {
  char path[80];
  snprintf(path, sizeof path, "/tmp/usertests.%ld.trunc", sc(SYS_getpid));
  int fd = OK(sc(SYS_open, path, O_RDWR | O_CREAT | O_TRUNC, 0600));
  CHECK(sc(SYS_write, fd, "abcdef", 6) == 6);
  int ap = OK(sc(SYS_open, path, O_WRONLY | O_APPEND, 0));
  CHECK(sc(SYS_write, ap, "gh", 2) == 2); // appended at 6, not written at 0
  int tr = OK(sc(SYS_open, path, O_RDWR | O_TRUNC, 0));
  struct stat st;
  OK(sc(SYS_fstat, tr, &st));
  sc(SYS_unlink, path);
  CHECK(st.st_size == 0);
  CHECK(sc(SYS_write, ap, "i", 1) == 1); // O_APPEND follows the new end
  CHECK(sc(SYS_lseek, ap, 0, SEEK_CUR) == 1);
}

static void t_openat(void) {
  int fd = OK(sc(SYS_openat, AT_FDCWD, g_self, O_RDONLY, 0));
  OK(sc(SYS_close, fd));
  int dir = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  fd = OK(sc(SYS_openat, dir, g_self + 1, O_RDONLY, 0)); // relative to "/"
  char b[4];
  CHECK(sc(SYS_read, fd, b, 4) == 4 && memcmp(b, ELFMAG, 4) == 0);
  // An absolute path ignores dirfd, even a bad one.
  OK(sc(SYS_close, OK(sc(SYS_openat, -1, g_self, O_RDONLY, 0))));
}

static void t_openat_errors(void) {
  EXPECT_ERR(sc(SYS_openat, -1, "x", O_RDONLY, 0), EBADF);
  EXPECT_ERR(sc(SYS_openat, 1000000, "x", O_RDONLY, 0), EBADF);
  int fd = open_self(); // a file, not a directory
  EXPECT_ERR(sc(SYS_openat, fd, "x", O_RDONLY, 0), ENOTDIR);
  int dir = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  EXPECT_ERR(sc(SYS_openat, dir, "no-such-file-vitrine", O_RDONLY, 0), ENOENT);
  still_alive();
}

static void t_close(void) {
  int fd = open_self();
  OK(sc(SYS_close, fd));
  EXPECT_ERR(sc(SYS_close, fd), EBADF);
  EXPECT_ERR(sc(SYS_close, -1), EBADF);
  EXPECT_ERR(sc(SYS_close, 1000000), EBADF);
  still_alive();
}

// ---------------------------------------------------------------------------------
// lseek, pread64, pwrite64

static void t_lseek(void) {
  int fd = open_self();
  struct stat st;
  OK(sc(SYS_fstat, fd, &st));
  CHECK(sc(SYS_lseek, fd, 0, SEEK_END) == st.st_size);
  CHECK(sc(SYS_lseek, fd, -4, SEEK_END) == st.st_size - 4);
  CHECK(sc(SYS_lseek, fd, 100, SEEK_SET) == 100);
  CHECK(sc(SYS_lseek, fd, 10, SEEK_CUR) == 110);
  CHECK(sc(SYS_lseek, fd, -10, SEEK_CUR) == 100);
  // Past the end is allowed; reading there gives end of file.
  CHECK(sc(SYS_lseek, fd, st.st_size + 1000, SEEK_SET) == st.st_size + 1000);
  char b[4];
  CHECK(sc(SYS_read, fd, b, 4) == 0);
}

static void t_lseek_errors(void) {
  int fd = open_self();
  OK(sc(SYS_lseek, fd, 8, SEEK_SET));
  EXPECT_ERR(sc(SYS_lseek, fd, 0, 99), EINVAL);
  EXPECT_ERR(sc(SYS_lseek, fd, -1, SEEK_SET), EINVAL);
  EXPECT_ERR(sc(SYS_lseek, fd, -9, SEEK_CUR), EINVAL);
  EXPECT_ERR(sc(SYS_lseek, fd, -(1L << 40), SEEK_END), EINVAL);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 8); // failures left the offset alone
  if (isatty(1))
    EXPECT_ERR(sc(SYS_lseek, 1, 0, SEEK_CUR), ESPIPE);
  still_alive();
}

static void t_pread(void) {
  int fd = open_self();
  char b[4];
  CHECK(sc(SYS_pread64, fd, b, 3, 1) == 3 && memcmp(b, "ELF", 3) == 0);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 0); // pread does not move the offset
  long size = OK(sc(SYS_lseek, fd, 0, SEEK_END));
  CHECK(sc(SYS_pread64, fd, b, 4, size) == 0);
  CHECK(sc(SYS_pread64, fd, b, 4, size - 1) == 1);
  EXPECT_ERR(sc(SYS_pread64, fd, b, 4, -1), EINVAL);
  still_alive();
}

static void t_pwrite(void) {
  int fd = scratch_open(O_RDWR);
  CHECK(sc(SYS_pwrite64, fd, "abc", 3, 100) == 3);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 0); // offset unchanged
  struct stat st;
  OK(sc(SYS_fstat, fd, &st));
  CHECK(st.st_size == 103);
  char b[8] = "zzzzzzz";
  CHECK(sc(SYS_pread64, fd, b, 3, 100) == 3 && memcmp(b, "abc", 3) == 0);
  CHECK(sc(SYS_pread64, fd, b, 4, 0) == 4 && memcmp(b, "\0\0\0\0", 4) == 0);
  EXPECT_ERR(sc(SYS_pwrite64, fd, "x", 1, -1), EINVAL);
  still_alive();
}

// ---------------------------------------------------------------------------------
// fstat, stat, lstat, newfstatat

static void t_fstat(void) {
  int fd = open_self();
  struct stat st;
  OK(sc(SYS_fstat, fd, &st));
  CHECK(S_ISREG(st.st_mode));
  CHECK(st.st_size > 0 && st.st_nlink >= 1);
  CHECK(st.st_size == sc(SYS_lseek, fd, 0, SEEK_END));
  int dir = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  OK(sc(SYS_fstat, dir, &st));
  CHECK(S_ISDIR(st.st_mode));
  OK(sc(SYS_fstat, 1, &st)); // the console (or the host's pipe or file)
}

static void same_file(const struct stat *a, const struct stat *b) {
  CHECK(a->st_ino == b->st_ino && a->st_dev == b->st_dev);
  CHECK(a->st_mode == b->st_mode && a->st_size == b->st_size);
}

static void t_stat(void) {
  struct stat s, f;
  OK(sc(SYS_stat, g_self, &s));
  OK(sc(SYS_fstat, open_self(), &f));
  same_file(&s, &f);
  OK(sc(SYS_lstat, g_self, &s)); // not a symbolic link: the same file
  same_file(&s, &f);
  OK(sc(SYS_stat, "/", &s));
  CHECK(S_ISDIR(s.st_mode));
}

static void t_stat_errors(void) {
  struct stat s;
  char p[300];
  EXPECT_ERR(sc(SYS_stat, "/no-such-file-vitrine", &s), ENOENT);
  EXPECT_ERR(sc(SYS_lstat, "/no-such-file-vitrine", &s), ENOENT);
  EXPECT_ERR(sc(SYS_stat, "", &s), ENOENT);
  snprintf(p, sizeof p, "%s/x", g_self);
  EXPECT_ERR(sc(SYS_stat, p, &s), ENOTDIR);
  still_alive();
}

static void t_newfstatat(void) {
  struct stat a, b;
  OK(sc(SYS_fstat, open_self(), &b));
  OK(sc(SYS_newfstatat, AT_FDCWD, g_self, &a, 0));
  same_file(&a, &b);
  int dir = OK(sc(SYS_open, "/", O_RDONLY | O_DIRECTORY, 0));
  OK(sc(SYS_newfstatat, dir, g_self + 1, &a, 0));
  same_file(&a, &b);
  OK(sc(SYS_newfstatat, dir, g_self + 1, &a, AT_SYMLINK_NOFOLLOW));
  same_file(&a, &b);
  int fd = open_self(); // AT_EMPTY_PATH: stat the descriptor itself
  OK(sc(SYS_newfstatat, fd, "", &a, AT_EMPTY_PATH));
  same_file(&a, &b);
}

static void t_newfstatat_errors(void) {
  struct stat a;
  int fd = open_self();
  EXPECT_ERR(sc(SYS_newfstatat, fd, "", &a, 0), ENOENT); // "" needs AT_EMPTY_PATH
  EXPECT_ERR(sc(SYS_newfstatat, AT_FDCWD, g_self, &a, 0x10000000), EINVAL);
  EXPECT_ERR(sc(SYS_newfstatat, -1, "x", &a, 0), EBADF);
  EXPECT_ERR(sc(SYS_newfstatat, fd, "x", &a, 0), ENOTDIR);
  EXPECT_ERR(sc(SYS_newfstatat, 1000000, "", &a, AT_EMPTY_PATH), EBADF);
  still_alive();
}

// ---------------------------------------------------------------------------------
// brk

static long sbrk_raw(unsigned long to) { return sc(SYS_brk, to); }

static void t_brk_grow(void) {
  unsigned long cur = sbrk_raw(0);
  CHECK(cur != 0);
  unsigned long base = (cur + PAGE - 1) & ~(PAGE - 1), top = base + 4 * PAGE;
  CHECK((unsigned long)sbrk_raw(top) == top);
  CHECK((unsigned long)sbrk_raw(0) == top);
  volatile char *p = (char *)cur;
  for (unsigned long i = 0; i < top - cur; i++) // new memory is zero and writable
    CHECK(p[i] == 0);
  memset((char *)cur, 0x5a, top - cur);
  CHECK((unsigned long)sbrk_raw(cur) == cur); // shrink back
}

// Memory given back by shrinking the break reads as zero when the break grows again.
static void t_brk_shrink_zero(void) {
  unsigned long cur = sbrk_raw(0);
  unsigned long base = (cur + PAGE - 1) & ~(PAGE - 1);
  CHECK((unsigned long)sbrk_raw(base + 2 * PAGE) == base + 2 * PAGE);
  memset((char *)base, 0x77, 2 * PAGE);
  CHECK((unsigned long)sbrk_raw(base) == base);
  CHECK((unsigned long)sbrk_raw(base + 2 * PAGE) == base + 2 * PAGE);
  volatile char *p = (char *)base;
  for (unsigned long i = 0; i < 2 * PAGE; i += 512)
    CHECK(p[i] == 0);
}

// A brk that cannot be satisfied returns the unchanged break (there is no -1).
static void t_brk_fail(void) {
  unsigned long cur = sbrk_raw(0);
  CHECK((unsigned long)sbrk_raw(0xffff800000000000UL) == cur);
  CHECK((unsigned long)sbrk_raw(0x0000800000000000UL) == cur);
  CHECK((unsigned long)sbrk_raw(1) == cur); // below the start of the heap
  CHECK((unsigned long)sbrk_raw(0) == cur);
  still_alive();
}

// ---------------------------------------------------------------------------------
// mmap, munmap, mprotect

static volatile char *g_touch; // address a grandchild touches
static void touch_read(void) { (void)*g_touch; }
static void touch_write(void) { *g_touch = 1; }

static void expect_segv_read(volatile char *p) {
  g_touch = p;
  EXPECT_KILLED(child_status(touch_read), SIGSEGV);
}
static void expect_segv_write(volatile char *p) {
  g_touch = p;
  EXPECT_KILLED(child_status(touch_write), SIGSEGV);
}

static void t_mmap_anon(void) {
  char *p = xmmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, 0);
  CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
  for (size_t i = 0; i < 3 * PAGE; i++)
    CHECK(p[i] == 0);
  for (size_t i = 0; i < 3 * PAGE; i++)
    p[i] = (char)i;
  for (size_t i = 0; i < 3 * PAGE; i++)
    CHECK(p[i] == (char)i);
  OK(sc(SYS_munmap, p, 3 * PAGE));
}

// 1 GiB of address space, 16 pages touched: needs demand paging, not 1 GiB of RAM.
static void t_mmap_large_sparse(void) {
  const size_t len = 1UL << 30, step = 64UL << 20;
  char *p = xmmap(NULL, len, PROT_READ | PROT_WRITE, 0);
  for (size_t off = 0; off < len; off += step)
    p[off + 123] = (char)(off >> 20);
  for (size_t off = 0; off < len; off += step)
    CHECK(p[off + 123] == (char)(off >> 20) && p[off] == 0);
  OK(sc(SYS_munmap, p, len));
}

// 64 TiB reserved, three pages touched: mprotect and munmap of all of it cost what is
// mapped, not what is spanned (page by page they held the kernel for a quarter of an hour:
// the test then never ends).
static void t_mmap_huge_reserve(void) {
  const size_t len = 1UL << 46;
  char *p = xmmap(NULL, len, PROT_NONE, MAP_NORESERVE);
  char *at[3] = {p, p + len / 2 + 5 * PAGE, p + len - PAGE};
  for (int i = 0; i < 3; i++) {
    OK(sc(SYS_mprotect, at[i], PAGE, PROT_READ | PROT_WRITE));
    at[i][7] = (char)(i + 1);
  }
  OK(sc(SYS_mprotect, p, len, PROT_READ));
  for (int i = 0; i < 3; i++)
    CHECK(at[i][7] == (char)(i + 1));
  expect_segv_write(at[1]);
  OK(sc(SYS_munmap, p, len));
  expect_segv_read(at[2]);
  still_alive();
}

// MAP_FIXED replaces the pages under it and leaves its neighbours alone.
static void t_mmap_fixed(void) {
  char *p = xmmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, 0);
  memset(p, 'a', 4 * PAGE);
  char *q = xmmap(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_FIXED);
  CHECK(q == p + PAGE);
  CHECK(p[0] == 'a' && p[PAGE - 1] == 'a' && p[3 * PAGE] == 'a');
  for (size_t i = PAGE; i < 3 * PAGE; i++)
    CHECK(p[i] == 0);
  OK(sc(SYS_munmap, p, 4 * PAGE));
  q = xmmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_FIXED); // into a hole
  CHECK(q == p && q[0] == 0);
}

static void t_mmap_many(void) {
  for (int i = 0; i < 500; i++) {
    char *p = xmmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0);
    p[PAGE] = 1;
    OK(sc(SYS_munmap, p, 2 * PAGE));
  }
}

static long mmap_raw(unsigned long addr, unsigned long len, int prot, int flags,
                     long off) {
  return sc(SYS_mmap, addr, len, prot, flags, -1, off);
}

static void t_mmap_errors(void) {
  const int rw = PROT_READ | PROT_WRITE, pa = MAP_PRIVATE | MAP_ANONYMOUS;
  EXPECT_ERR(mmap_raw(0, 0, rw, pa, 0), EINVAL);
  EXPECT_ERR(mmap_raw(0, PAGE, rw, MAP_ANONYMOUS, 0), EINVAL); // not private, not shared
  EXPECT_ERR(mmap_raw(0x10000001, PAGE, rw, pa | MAP_FIXED, 0), EINVAL);
  EXPECT_ERR(mmap_raw(0, PAGE, rw, pa, 1), EINVAL); // offset not page-aligned
  EXPECT_ERR(mmap_raw(0, 1UL << 62, rw, pa, 0), ENOMEM);
  EXPECT_ERR(mmap_raw(0, ~0UL, rw, pa, 0), ENOMEM); // rounds up to 0
  still_alive();
}

// MAP_FIXED outside the user half: Linux says ENOMEM (no room below the user limit).
static void t_mmap_kernel_fixed(void) {
  const int rw = PROT_READ | PROT_WRITE, paf = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  EXPECT_ERR(mmap_raw(0xffff800000000000UL, PAGE, rw, paf, 0), ENOMEM);
  EXPECT_ERR(mmap_raw(0xffffffff80100000UL, PAGE, rw, paf, 0), ENOMEM);
  EXPECT_ERR(mmap_raw(0x0000800000000000UL, PAGE, rw, paf, 0), ENOMEM);
  EXPECT_ERR(mmap_raw(0x00007ffffffff000UL, 2 * PAGE, rw, paf, 0), ENOMEM); // straddles
  still_alive();
}

static void t_munmap_partial(void) {
  char *p = xmmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, 0);
  memset(p, 1, 3 * PAGE);
  OK(sc(SYS_munmap, p + PAGE, PAGE));
  CHECK(p[0] == 1 && p[2 * PAGE] == 1);
  expect_segv_read(p + PAGE);
  expect_segv_write(p + PAGE + 100);
  CHECK(p[PAGE - 1] == 1 && p[2 * PAGE] == 1);
}

// The length is rounded up to whole pages.
static void t_munmap_rounding(void) {
  char *p = xmmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0);
  OK(sc(SYS_munmap, p, 1));
  p[PAGE] = 2;
  expect_segv_read(p + PAGE - 1);
}

// One munmap may cover several mappings and the holes between them.
static void t_munmap_span(void) {
  char *p = xmmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, 0);
  OK(sc(SYS_munmap, p + PAGE, PAGE));
  p[0] = p[2 * PAGE] = p[3 * PAGE] = 1;
  OK(sc(SYS_munmap, p, 3 * PAGE));
  CHECK(p[3 * PAGE] == 1);
  expect_segv_read(p);
  expect_segv_read(p + 2 * PAGE);
}

static void t_munmap_errors(void) {
  char *p = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  EXPECT_ERR(sc(SYS_munmap, p + 1, PAGE), EINVAL);
  EXPECT_ERR(sc(SYS_munmap, p, 0), EINVAL);
  EXPECT_ERR(sc(SYS_munmap, 0xffff800000000000UL, PAGE), EINVAL);
  EXPECT_ERR(sc(SYS_munmap, 0x00007ffffffff000UL, 2 * PAGE), EINVAL);
  EXPECT_ERR(sc(SYS_munmap, p, -1L), EINVAL); // SIZE_MAX: rounded up it would be 0
  EXPECT_ERR(sc(SYS_munmap, p, -PAGE), EINVAL);
  p[0] = 1; // still mapped
  OK(sc(SYS_munmap, p, PAGE));
  OK(sc(SYS_munmap, p, PAGE)); // unmapping nothing is not an error
  still_alive();
}

static void t_mprotect_ro(void) {
  char *p = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  p[0] = 7;
  OK(sc(SYS_mprotect, p, PAGE, PROT_READ));
  CHECK(p[0] == 7);
  expect_segv_write(p);
  CHECK(p[0] == 7);
  OK(sc(SYS_mprotect, p, PAGE, PROT_READ | PROT_WRITE));
  p[0] = 8;
  CHECK(p[0] == 8);
}

static void t_mprotect_none(void) {
  char *p = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  p[0] = 3;
  OK(sc(SYS_mprotect, p, PAGE, PROT_NONE));
  expect_segv_read(p);
  OK(sc(SYS_mprotect, p, PAGE, PROT_READ));
  CHECK(p[0] == 3); // contents survive PROT_NONE
}

// mprotect of the middle page splits the mapping in three.
static void t_mprotect_partial(void) {
  char *p = xmmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, 0);
  OK(sc(SYS_mprotect, p + PAGE, PAGE, PROT_READ));
  p[0] = p[2 * PAGE] = 1;
  expect_segv_write(p + PAGE);
  OK(sc(SYS_munmap, p, 3 * PAGE));
}

static void t_mprotect_errors(void) {
  char *p = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  EXPECT_ERR(sc(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
  EXPECT_ERR(sc(SYS_mprotect, p, PAGE, 0x80), EINVAL); // unknown protection bit
  CHECK(sc(SYS_mprotect, p, 0, PROT_READ) == 0);
  EXPECT_ERR(sc(SYS_mprotect, p, -1L, PROT_READ), ENOMEM); // SIZE_MAX (Linux: ENOMEM)
  p[0] = 1; // still writable: the refusal changed nothing
  OK(sc(SYS_munmap, p, PAGE));
  EXPECT_ERR(sc(SYS_mprotect, p, PAGE, PROT_READ), ENOMEM); // nothing mapped
  EXPECT_ERR(sc(SYS_mprotect, p, 1UL << 47, PROT_READ), ENOMEM); // past the user half
  EXPECT_ERR(sc(SYS_mprotect, 0xffff800000000000UL, PAGE, PROT_READ), ENOMEM);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Processes: exit, fork, wait4, getpid, getppid, gettid, set_tid_address

static void t_exit_status(void) {
  static const int codes[] = {0, 1, 42, 255, 256 + 7};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    long pid = xfork();
    if (pid == 0)
      sc(SYS_exit_group, codes[i]);
    int st = wait_for(pid);
    CHECK(st == (codes[i] & 0xff) << 8); // the exact Linux encoding
  }
}

static void t_exit(void) {
  long pid = xfork();
  if (pid == 0)
    sc(SYS_exit, 5); // the only thread: the process ends
  EXPECT_EXIT(wait_for(pid), 5);
  pid = xfork();
  if (pid == 0)
    exit(9); // musl's exit: atexit, stdio flush, then exit_group
  EXPECT_EXIT(wait_for(pid), 9);
}

static void do_segv(void) { *(volatile char *)0xffffffff80100000UL = 0; }

static void t_wait_signal_status(void) {
  int st = child_status(do_segv);
  CHECK(WIFSIGNALED(st) && (st & 0x7f) == SIGSEGV && !WIFEXITED(st));
}

static void t_fork_cow(void) {
  static int global = 1;
  int local = 2;
  char *m = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  m[0] = 3;
  long pid = xfork();
  if (pid == 0) {
    int ok = global == 1 && local == 2 && m[0] == 3;
    global = 10, local = 20, m[0] = 30;
    _exit(ok ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(global == 1 && local == 2 && m[0] == 3); // the child's writes were its own
}

// The parent's writes after fork are its own too: a child that looks later still sees
// the values of the moment of the fork, also after the parent changed the page's
// protection back and forth (copy on write survives mprotect).
static void t_fork_cow_parent_writes(void) {
  char *m = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  m[0] = 'a';
  int go[2];
  OK(pipe(go));
  long pid = xfork();
  if (pid == 0) {
    char c;
    close(go[1]);
    _exit(read(go[0], &c, 1) == 1 && m[0] == 'a' ? 0 : 1);
  }
  close(go[0]);
  OK(mprotect(m, PAGE, PROT_READ));
  OK(mprotect(m, PAGE, PROT_READ | PROT_WRITE));
  m[0] = 'b';
  OK(write(go[1], "x", 1));
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK_EQ(m[0], 'b');
  close(go[1]);
}

static long mem_free_kib(void) {
  char buf[2048], *p;
  if (read_small_file("/proc/meminfo", buf, sizeof buf) < 0 || !(p = strstr(buf, "MemFree:")))
    return -1;
  return strtol(p + 8, NULL, 10);
}

// fork copies nothing up front: 4 MiB the parent has touched cost the child's memory
// only once the child writes them (and come back when it exits).
static void t_fork_shares_until_write(void) {
  const size_t len = 4 << 20;
  char *m = xmmap(NULL, len, PROT_READ | PROT_WRITE, 0);
  memset(m, 1, len);
  int go[2], done[2];
  OK(pipe(go));
  OK(pipe(done));
  long before = mem_free_kib();
  long pid = xfork();
  if (pid == 0) {
    char c = 0;
    if (read(go[0], &c, 1) != 1)
      _exit(1);
    memset(m, 2, len); // now the child needs its own copy
    if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
      _exit(1);
    _exit(0);
  }
  long forked = mem_free_kib();
  OK(write(go[1], "x", 1));
  char c;
  CHECK_EQ(read(done[0], &c, 1), 1);
  long written = mem_free_kib();
  OK(write(go[1], "x", 1));
  EXPECT_EXIT(wait_for(pid), 0);
  long after = mem_free_kib();
  ctx("[MemFree kB: %ld before fork, %ld forked, %ld written, %ld after]", before, forked, written, after);
  CHECK(before > 0 && forked > 0 && written > 0 && after > 0);
  CHECK(before - forked < 1024);  // the child's kernel side and page tables, not 4 MiB
  CHECK(forked - written >= 4000); // the copies, made as the child wrote
  CHECK(after >= before - 64);     // all of it back
  CHECK(m[0] == 1 && m[len - 1] == 1);
  for (int i = 0; i < 2; i++)
    close(go[i]), close(done[i]);
  munmap(m, len);
}

// A forked child shares the open file description: its reads move the parent's offset.
static void t_fork_fd_shared(void) {
  int fd = open_self();
  long pid = xfork();
  if (pid == 0) {
    char b[4];
    _exit(sc(SYS_read, fd, b, 4) == 4 ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 4);
}

static void t_fork_many(void) {
  long pids[30];
  for (int i = 0; i < 30; i++) {
    pids[i] = xfork();
    if (pids[i] == 0)
      _exit(i);
  }
  for (int i = 29; i >= 0; i--) // reap in another order than creation
    EXPECT_EXIT(wait_for(pids[i]), i);
}

static void t_fork_nested(void) {
  long pid = xfork();
  if (pid == 0) {
    long gc = sc(SYS_fork);
    if (gc == 0)
      _exit(7);
    int st = 0;
    if (gc < 0 || sc(SYS_wait4, gc, &st, 0, NULL) != gc)
      _exit(1);
    _exit(WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 2);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_getpid(void) {
  long me = sc(SYS_getpid);
  CHECK(me > 0 && me == g_test_pid);
  CHECK(sc(SYS_getppid) > 0);
  long pid = xfork();
  if (pid == 0)
    _exit(sc(SYS_getppid) == me && sc(SYS_getpid) != me ? 0 : 1);
  CHECK(pid != me);
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_gettid(void) {
  CHECK(sc(SYS_gettid) == sc(SYS_getpid)); // single-threaded
  static int tidword;
  CHECK(sc(SYS_set_tid_address, &tidword) == sc(SYS_gettid));
  CHECK(sc(SYS_set_tid_address, NULL) == sc(SYS_gettid));
}

static void t_wait_any(void) {
  for (int i = 0; i < 3; i++)
    if (xfork() == 0)
      _exit(10 + i);
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    int st;
    CHECK(sc(SYS_wait4, -1, &st, 0, NULL) > 0 && WIFEXITED(st));
    int c = WEXITSTATUS(st) - 10;
    CHECK(c >= 0 && c < 3 && !(seen & (1 << c))); // each child exactly once
    seen |= 1 << c;
  }
  EXPECT_ERR(sc(SYS_wait4, -1, NULL, 0, NULL), ECHILD);
}

static void t_wait_errors(void) {
  int st;
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_wait4, sc(SYS_getppid), &st, 0, NULL), ECHILD); // not ours
  EXPECT_ERR(sc(SYS_wait4, -1, &st, WNOHANG, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_wait4, -1, &st, 0x100, NULL), EINVAL); // unknown option bit
  still_alive();
}

static void sleep_100ms(void) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  sc(SYS_nanosleep, &ts, NULL);
  _exit(3);
}

static void t_wait_nohang(void) {
  long pid = xfork();
  if (pid == 0)
    sleep_100ms();
  int st = -1;
  CHECK(sc(SYS_wait4, pid, &st, WNOHANG, NULL) == 0); // still running
  EXPECT_EXIT(wait_for(pid), 3);
}

// A child's exit wakes a parent blocked in wait4 with SIGCHLD too (a handler, no
// SA_RESTART): wait4 returns the child, as Linux's, not EINTR (strace -f saw
// "wait4(...) = ? ERESTARTSYS" before each exit).
static void on_chld(int sig) { (void)sig; }
static void t_wait_child_before_sigchld(void) {
  struct sigaction sa = {.sa_handler = on_chld}, old;
  OK(sigaction(SIGCHLD, &sa, &old));
  long pid = xfork();
  if (pid == 0)
    sleep_100ms(); // (exits 3)
  int st = -1;
  CHECK_EQ(sc(SYS_wait4, pid, &st, 0, NULL), pid);
  EXPECT_EXIT(st, 3);
  OK(sigaction(SIGCHLD, &old, NULL));
}

// /dev/full: reads give zero bytes, writes ENOSPC, and it is the character device 1:7
// (strace's tests write their expected output's errors with it).
static void t_dev_full(void) {
  int fd = OK(open("/dev/full", O_RDWR));
  EXPECT_ERR(write(fd, "x", 1), ENOSPC);
  char b[4] = {1, 2, 3, 4};
  EXPECT_EQ(read(fd, b, sizeof b), 4);
  CHECK(!b[0] && !b[3]);
  struct stat st;
  OK(fstat(fd, &st));
  CHECK(S_ISCHR(st.st_mode));
  CHECK_EQ(st.st_rdev, 0x107);
  close(fd);
}

// fcntl's command is an int: the upper half of the register is ignored, as Linux's.
static void t_fcntl_cmd_int(void) {
  int fd = OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK_EQ(sc(SYS_fcntl, fd, 0xbadc0ded00000000UL | F_GETFD, 0), FD_CLOEXEC);
  close(fd);
}

// A bad status pointer gives EFAULT (Linux has already reaped the child by then).
static void t_wait_efault(void) {
  static const uintptr_t bad[] = {1, 0xffffffff80100000UL};
  for (size_t i = 0; i < 2; i++) {
    long pid = xfork();
    if (pid == 0)
      _exit(0);
    EXPECT_ERR(sc(SYS_wait4, pid, bad[i], 0, NULL), EFAULT);
  }
  still_alive();
}

// ---------------------------------------------------------------------------------
// execve

// Fork; the child execs this binary with argv and envp. Returns the wait status.
static int exec_self_status(char *const argv[], char *const envp[]) {
  long pid = xfork();
  if (pid == 0) {
    sc(SYS_execve, g_self, argv, envp);
    _exit(EXEC_FAILED + errno);
  }
  return wait_for(pid);
}

static void t_exec_exit(void) {
  char *argv[] = {(char *)g_self, "--exit", "7", NULL};
  char *envp[] = {NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 7);
}

static void t_exec_argv_envp(void) {
  char *argv[] = {"ut-argv0", "--exec-check", "42", "hello world", "", "tab\there", NULL};
  char *envp[] = {"UT_A=1", "UT_B=with space", "UT_EMPTY=", NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 42);
}

static void t_exec_auxv(void) {
  char *argv[] = {(char *)g_self, "--auxv-check", NULL};
  char *envp[] = {NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 0);
}

// Many long arguments: the new stack is built from more than a page of strings.
static void t_exec_many_args(void) {
  enum { N = 100, LEN = 200 };
  static char strs[N][LEN + 1];
  static char *argv[N + 3];
  argv[0] = (char *)g_self;
  argv[1] = "--args-check";
  for (int i = 0; i < N; i++) {
    memset(strs[i], 'a' + i % 26, LEN);
    argv[2 + i] = strs[i];
  }
  char *envp[] = {NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 0);
}

// Descriptors stay open across execve with their offsets, except O_CLOEXEC ones.
static void t_exec_fds(void) {
  int fd = open_self();
  int cl = OK(sc(SYS_open, g_self, O_RDONLY | O_CLOEXEC, 0));
  char b[1], fds[16], cls[16];
  CHECK(sc(SYS_read, fd, b, 1) == 1);
  snprintf(fds, sizeof fds, "%d", fd);
  snprintf(cls, sizeof cls, "%d", cl);
  char *argv[] = {(char *)g_self, "--fd-check", fds, cls, NULL};
  char *envp[] = {NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 0);
}

// High descriptors (the table grows for them): dup2 to one, a fork's copy has it with
// its offset shared, an exec keeps it, and every descriptor up to the limit can be had.
static void t_fd_high(void) {
  int fd = open_self();
  CHECK_EQ(OK(sc(SYS_dup2, fd, 250)), 250);
  char x[4];
  CHECK(sc(SYS_read, 250, x, 4) == 4);
  long pid = xfork();
  if (pid == 0)
    _exit(sc(SYS_lseek, 250, 0, SEEK_CUR) == 4 && sc(SYS_read, 250, x, 2) == 2 ? 0 : 1);
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 6); // (one open file: the child moved it)
  OK(sc(SYS_lseek, fd, 1, SEEK_SET));
  char fds[16], none[16];
  snprintf(fds, sizeof fds, "%d", 250);
  snprintf(none, sizeof none, "%d", 249);
  char *argv[] = {(char *)g_self, "--fd-check", fds, none, NULL}, *envp[] = {NULL};
  EXPECT_EXIT(exec_self_status(argv, envp), 0);
  struct rlimit rl;
  OK(getrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_cur = 256; // (the guest's table; Linux's may be far larger)
  OK(setrlimit(RLIMIT_NOFILE, &rl));
  while (sc(SYS_dup, fd) >= 0)
    ;
  CHECK(errno == EMFILE);
  OK(sc(SYS_fcntl, 255, F_GETFD));
}

// execve keeps the pid and the parent.
static void t_exec_pid(void) {
  long pid = xfork();
  if (pid == 0) {
    char p[24], pp[24];
    snprintf(p, sizeof p, "%ld", sc(SYS_getpid));
    snprintf(pp, sizeof pp, "%ld", sc(SYS_getppid));
    char *argv[] = {(char *)g_self, "--pid-check", p, pp, NULL};
    char *envp[] = {NULL};
    sc(SYS_execve, g_self, argv, envp);
    _exit(EXEC_FAILED + errno);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

// Processes that exec'd with no handlers set (which may share one table of default
// handlers in the kernel) each change their own: a handler one sets is not seen by
// another, nor by their parent, and survives the other's change.
static void on_usr1(int sig) { (void)sig; }
static int sig_helper(char **argv) {
  int ready = atoi(argv[2]), go = atoi(argv[3]);
  struct sigaction sa = {0}, old;
  if (sigaction(SIGUSR1, NULL, &old) < 0 || old.sa_handler != SIG_DFL)
    return 10; // (exec reset the parent's handler)
  if (strcmp(argv[1], "--sig-set") == 0) {
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) < 0 || write(ready, "r", 1) != 1 || read(go, &sa, 1) != 1)
      return 11;
    return sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == on_usr1 ? 0 : 12;
  }
  sa.sa_handler = SIG_IGN;
  if (sigaction(SIGUSR1, &sa, NULL) < 0 || sigaction(SIGUSR1, NULL, &old) < 0)
    return 13;
  return old.sa_handler == SIG_IGN ? 0 : 14;
}

static long spawn_sig_helper(const char *mode, int ready, int go) {
  long pid = xfork();
  if (pid == 0) {
    char r[16], g[16];
    snprintf(r, sizeof r, "%d", ready), snprintf(g, sizeof g, "%d", go);
    char *argv[] = {(char *)g_self, (char *)mode, r, g, NULL}, *envp[] = {NULL};
    sc(SYS_execve, g_self, argv, envp);
    _exit(EXEC_FAILED + errno);
  }
  return pid;
}

static void t_exec_handlers_own(void) {
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_usr1;
  OK(sigaction(SIGUSR1, &sa, NULL));
  int ready[2], go[2];
  OK(pipe(ready));
  OK(pipe(go));
  long a = spawn_sig_helper("--sig-set", ready[1], go[0]);
  char c;
  CHECK_EQ(OK(read(ready[0], &c, 1)), 1);
  long b = spawn_sig_helper("--sig-ign", ready[1], go[0]);
  EXPECT_EXIT(wait_for(b), 0);
  CHECK_EQ(OK(write(go[1], "g", 1)), 1);
  EXPECT_EXIT(wait_for(a), 0);
  OK(sigaction(SIGUSR1, NULL, &old));
  CHECK(old.sa_handler == on_usr1);
}

// The old image's mappings are gone after execve.
#define EXEC_PROBE_ADDR 0x200000000UL
static void t_exec_drops_mappings(void) {
  long pid = xfork();
  if (pid == 0) {
    char *p = xmmap((void *)EXEC_PROBE_ADDR, PAGE, PROT_READ | PROT_WRITE, MAP_FIXED);
    p[0] = 1;
    char *argv[] = {(char *)g_self, "--unmapped-check", NULL};
    char *envp[] = {NULL};
    sc(SYS_execve, g_self, argv, envp);
    _exit(EXEC_FAILED + errno);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_exec_errors(void) {
  char p[300];
  char *argv[] = {"x", "--exit", "77", NULL}; // harmless if an exec wrongly succeeds
  char *envp[] = {NULL};
  EXPECT_ERR(sc(SYS_execve, "/no-such-file-vitrine", argv, envp), ENOENT);
  EXPECT_ERR(sc(SYS_execve, "", argv, envp), ENOENT);
  EXPECT_ERR(sc(SYS_execve, "/", argv, envp), EACCES); // a directory
  snprintf(p, sizeof p, "%s/x", g_self);
  EXPECT_ERR(sc(SYS_execve, p, argv, envp), ENOTDIR);
  still_alive();
}

static void t_exec_efault(void) {
  char *argv[] = {"x", "--exit", "77", NULL};
  char *badarg[] = {"x", (char *)1, NULL};
  char *badenv[] = {"A=1", (char *)0xffffffff80100000UL, NULL};
  char *envp[] = {NULL};
  EXPECT_ERR(sc(SYS_execve, NULL, argv, envp), EFAULT);
  EXPECT_ERR(sc(SYS_execve, 0xffffffff80100000UL, argv, envp), EFAULT);
  EXPECT_ERR(sc(SYS_execve, g_self, 1, envp), EFAULT);
  EXPECT_ERR(sc(SYS_execve, g_self, badarg, envp), EFAULT);
  EXPECT_ERR(sc(SYS_execve, g_self, argv, 0x0000800000000000UL), EFAULT);
  EXPECT_ERR(sc(SYS_execve, g_self, argv, badenv), EFAULT);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Malformed ELF files (made by tools/mkbadelf)

static const char *badelf_dir(void) {
  const char *d = getenv("BADELF_DIR");
  if (d && *d)
    return d;
  return g_vitrine ? "/tests" : "build/tests";
}

// Exec OUTDIR/badelf-file in a child. On Vitrine the exec must fail with exactly
// vitrine_err. Linux checks less before the point of no return, so there any failure
// counts: execve returning an error, or the child killed while the image is set up or
// starts. linux_runs marks the one file Linux loads anyway (it exits RAN_STATUS).
static void badelf_run(const char *file, int vitrine_err, int linux_runs) {
  char path[512];
  struct stat st;
  snprintf(path, sizeof path, "%s/badelf-%s", badelf_dir(), file);
  if (sc(SYS_stat, path, &st) != 0)
    fail_at(__LINE__, "missing %s (set BADELF_DIR)", path);
  long pid = xfork();
  if (pid == 0) {
    long me = sc(SYS_getpid);
    char *argv[] = {path, NULL}, *envp[] = {NULL};
    sc(SYS_execve, path, argv, envp);
    int e = errno;
    if (sc(SYS_getpid) != me) // the caller must carry on intact
      _exit(98);
    _exit(EXEC_FAILED + e);
  }
  int s = wait_for(pid);
  if (vitrine_err == 0) {
    EXPECT_EXIT(s, 0); // the control: a valid file runs
  } else if (g_vitrine) {
    EXPECT_EXIT(s, EXEC_FAILED + vitrine_err);
  } else {
    int failed = (WIFEXITED(s) && WEXITSTATUS(s) > EXEC_FAILED) || WIFSIGNALED(s);
    if (!failed && !(linux_runs && WIFEXITED(s) && WEXITSTATUS(s) == RAN_STATUS))
      fail_at(__LINE__, "child %s", describe(s));
  }
  still_alive();
}

#define BADELF(id, file, err, linux_runs)                                                \
  static void t_badelf_##id(void) { badelf_run(file, err, linux_runs); }
BADELF(valid, "valid", 0, 0)
BADELF(trunc_ehdr, "trunc-ehdr", ENOEXEC, 0)
BADELF(trunc_phdr, "trunc-phdr", ENOEXEC, 0)
BADELF(bad_magic, "bad-magic", ENOEXEC, 0)
BADELF(class32, "class32", ENOEXEC, 1)
BADELF(machine, "machine", ENOEXEC, 0)
BADELF(type_rel, "type-rel", ENOEXEC, 0)
BADELF(phentsize, "phentsize", ENOEXEC, 0)
BADELF(phnum0, "phnum0", ENOEXEC, 0)
BADELF(phnum_huge, "phnum-huge", ENOEXEC, 0)
BADELF(phoff_overflow, "phoff-overflow", ENOEXEC, 0)
BADELF(no_load, "no-load", ENOEXEC, 0)
BADELF(interp, "interp", ENOENT, 0)
BADELF(interp_nonul, "interp-nonul", ENOEXEC, 0)
BADELF(interp_short, "interp-short", ENOEXEC, 0)
BADELF(interp_past_end, "interp-past-end", EIO, 0)
BADELF(interp_notelf, "interp-notelf", ELIBBAD, 0)
BADELF(interp_dir, "interp-dir", EACCES, 0)
BADELF(interp_dynamic, "interp-dynamic", ELIBBAD, 0)
BADELF(kernel_seg, "kernel-seg", EINVAL, 0)
BADELF(overlap, "overlap", EINVAL, 0)
BADELF(filesz_gt_memsz, "filesz-gt-memsz", EINVAL, 0)
BADELF(offset_past_end, "offset-past-end", EINVAL, 0)
BADELF(huge_memsz, "huge-memsz", EINVAL, 0)
BADELF(wrap, "wrap", EINVAL, 0)
BADELF(misaligned, "misaligned", EINVAL, 0)
BADELF(entry_outside, "entry-outside", EINVAL, 0)

// ---------------------------------------------------------------------------------
// uname, arch_prctl, ioctl

static void t_uname(void) {
  struct utsname u;
  memset(&u, 0xff, sizeof u);
  OK(sc(SYS_uname, &u));
  const char *f[] = {u.sysname, u.nodename,  u.release,
                     u.version, u.machine, u.domainname};
  for (int i = 0; i < 6; i++)
    CHECK(memchr(f[i], 0, sizeof u.sysname) != NULL); // each a NUL-terminated string
  CHECK(u.sysname[0] && u.release[0] && u.version[0]);
  CHECK(strcmp(u.machine, "x86_64") == 0);
}

// A syscall with no libc on the path: while %fs points elsewhere, musl's errno (in
// thread-local storage) must not be touched.
static inline long rawsys2(long n, long a, long b) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return r;
}

static void t_arch_prctl_fs(void) {
  static unsigned long block[4] = {0x5eed5eed5eedUL};
  unsigned long old = 0, got = 0, seen = 0;
  long r1 = rawsys2(SYS_arch_prctl, ARCH_GET_FS, (long)&old);
  long r2 = rawsys2(SYS_arch_prctl, ARCH_SET_FS, (long)block);
  long r3 = rawsys2(SYS_arch_prctl, ARCH_GET_FS, (long)&got);
  __asm__ volatile("mov %%fs:0, %0" : "=r"(seen));
  long r4 = rawsys2(SYS_arch_prctl, ARCH_SET_FS, (long)old); // musl's TLS back
  CHECK(r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0);
  CHECK(old != 0);
  CHECK(got == (unsigned long)block);
  CHECK(seen == block[0]);
}

static void t_arch_prctl_errors(void) {
  static const unsigned long bad[] = {0xffff800000000000UL, 0x0000800000000000UL};
  unsigned long old;
  CHECK(rawsys2(SYS_arch_prctl, ARCH_GET_FS, (long)&old) == 0);
  for (int i = 0; i < 2; i++) {
    long r = rawsys2(SYS_arch_prctl, ARCH_SET_FS, (long)bad[i]);
    if (r == 0) // accepted: put musl's TLS back before reporting
      rawsys2(SYS_arch_prctl, ARCH_SET_FS, (long)old);
    if (r != -EPERM)
      fail_at(__LINE__, "ARCH_SET_FS %#lx: got %ld, want -EPERM", bad[i], r);
  }
  EXPECT_ERR(sc(SYS_arch_prctl, ARCH_GET_FS, 0xffffffff80100000UL), EFAULT);
  EXPECT_ERR(sc(SYS_arch_prctl, ARCH_GET_FS, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_arch_prctl, 0x9999, 0), EINVAL);
  still_alive();
}

static int fd_open(int fd) {
  struct stat st;
  return sc(SYS_fstat, fd, &st) == 0;
}

// Under Vitrine fds 0 and 1 are the serial console, a terminal; on the host they may
// be pipes or files. isatty decides which answer is right.
static void t_ioctl_tty(void) {
  for (int fd = 0; fd <= 1; fd++) {
    if (!fd_open(fd))
      continue;
    struct winsize ws;
    unsigned char tio[64]; // larger than the kernel's struct termios
    ctx("[fd %d]", fd);
    if (isatty(fd)) {
      OK(sc(SYS_ioctl, fd, TIOCGWINSZ, &ws));
      OK(sc(SYS_ioctl, fd, TCGETS, tio));
      EXPECT_ERR(sc(SYS_ioctl, fd, TCGETS, NULL), EFAULT);
      EXPECT_ERR(sc(SYS_ioctl, fd, 0x7fff1234, tio), ENOTTY);
    } else {
      EXPECT_ERR(sc(SYS_ioctl, fd, TCGETS, tio), ENOTTY);
    }
  }
}

static void t_ioctl_errors(void) {
  struct winsize ws;
  unsigned char tio[64];
  int fd = open_self(); // a regular file is no terminal
  EXPECT_ERR(sc(SYS_ioctl, fd, TCGETS, tio), ENOTTY);
  EXPECT_ERR(sc(SYS_ioctl, fd, TIOCGWINSZ, &ws), ENOTTY);
  EXPECT_ERR(sc(SYS_ioctl, -1, TCGETS, tio), EBADF);
  EXPECT_ERR(sc(SYS_ioctl, 1000000, TIOCGWINSZ, &ws), EBADF);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Time: clock_gettime, nanosleep, clock_nanosleep

static long long now_ns(int clock) {
  struct timespec ts;
  OK(sc(SYS_clock_gettime, clock, &ts));
  CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void t_clock_monotonic(void) {
  long long prev = now_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < 1000; i++) {
    long long t = now_ns(CLOCK_MONOTONIC);
    CHECK(t >= prev); // never goes backwards
    prev = t;
  }
}

static void t_clock_realtime(void) {
  CHECK(now_ns(CLOCK_REALTIME) / 1000000000LL > 1577836800LL); // after 2020-01-01
}

static void t_clock_errors(void) {
  struct timespec ts;
  EXPECT_ERR(sc(SYS_clock_gettime, 1000, &ts), EINVAL);
  EXPECT_ERR(sc(SYS_clock_gettime, 0x7fffffff, &ts), EINVAL);
  still_alive();
}

static void t_nanosleep(void) {
  struct timespec req = {0, 20 * 1000 * 1000};
  long long t0 = now_ns(CLOCK_MONOTONIC);
  CHECK(sc(SYS_nanosleep, &req, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20 * 1000 * 1000LL);
  struct timespec zero = {0, 0}, rem;
  CHECK(sc(SYS_nanosleep, &zero, &rem) == 0);
}

static void t_nanosleep_errors(void) {
  struct timespec big = {0, 1000000000L}, neg = {0, -1}, negsec = {-1, 0};
  EXPECT_ERR(sc(SYS_nanosleep, &big, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_nanosleep, &neg, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_nanosleep, &negsec, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_nanosleep, NULL, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_nanosleep, 0xffffffff80100000UL, NULL), EFAULT);
  still_alive();
}

static void t_clock_nanosleep(void) {
  struct timespec req = {0, 20 * 1000 * 1000};
  long long t0 = now_ns(CLOCK_MONOTONIC);
  CHECK(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20 * 1000 * 1000LL);
  // An absolute deadline: wake no earlier than it.
  long long deadline = now_ns(CLOCK_MONOTONIC) + 20 * 1000 * 1000LL;
  struct timespec abs = {deadline / 1000000000LL, deadline % 1000000000LL};
  CHECK(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) >= deadline);
  struct timespec past = {0, 1}; // long gone: returns at once
  CHECK(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL) == 0);
  struct timespec ms = {0, 1000 * 1000};
  CHECK(sc(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &ms, NULL) == 0);
}

static void t_clock_nanosleep_errors(void) {
  struct timespec ok = {0, 1000}, big = {0, 1000000000L}, neg = {0, -5};
  EXPECT_ERR(sc(SYS_clock_nanosleep, 1000, 0, &ok, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &big, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &neg, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NULL, NULL), EFAULT);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Identity, scheduling, getcwd, getrandom

static void t_ids(void) {
  long uid = sc(SYS_getuid), euid = sc(SYS_geteuid);
  long gid = sc(SYS_getgid), egid = sc(SYS_getegid);
  CHECK(uid >= 0 && gid >= 0);
  CHECK(uid == euid && gid == egid); // nothing here is set-id
  long pid = xfork();
  if (pid == 0) // inherited by a child
    _exit(sc(SYS_getuid) == uid && sc(SYS_getegid) == egid ? 0 : 1);
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_sched_yield(void) {
  for (int i = 0; i < 100; i++)
    CHECK(sc(SYS_sched_yield) == 0);
  long pid = xfork();
  if (pid == 0) {
    for (int i = 0; i < 100; i++)
      sc(SYS_sched_yield);
    _exit(4);
  }
  for (int i = 0; i < 100; i++)
    CHECK(sc(SYS_sched_yield) == 0);
  EXPECT_EXIT(wait_for(pid), 4);
}

static void t_getcwd(void) {
  char b[4096];
  long r = OK(sc(SYS_getcwd, b, sizeof b));
  CHECK(b[0] == '/');
  CHECK((size_t)r == strlen(b) + 1); // the raw call returns the length with the NUL
  char c[4096];
  CHECK(sc(SYS_getcwd, c, r) == r && strcmp(b, c) == 0); // exactly enough room
  EXPECT_ERR(sc(SYS_getcwd, c, r - 1), ERANGE);
  EXPECT_ERR(sc(SYS_getcwd, c, 1), ERANGE);
  EXPECT_ERR(sc(SYS_getcwd, c, 0), ERANGE);
  still_alive();
}

static void t_getrandom(void) {
  unsigned char a[64], b[64], z[64] = {0};
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK(sc(SYS_getrandom, a, sizeof a, 0) == sizeof a);
  CHECK(sc(SYS_getrandom, b, sizeof b, 0) == sizeof b);
  CHECK(memcmp(a, z, sizeof a) != 0);
  CHECK(memcmp(a, b, sizeof a) != 0); // two calls differ
  CHECK(sc(SYS_getrandom, a, 0, 0) == 0);
  CHECK(sc(SYS_getrandom, a, 16, GRND_NONBLOCK) == 16);
  EXPECT_ERR(sc(SYS_getrandom, a, 16, 0x100), EINVAL);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Bad pointers: every call refuses them with EFAULT and the process carries on.

static void t_efault_read(void) {
  int fd = open_self();
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_read, fd, bad_ptr(i), 4), EFAULT);
    CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 0); // nothing was consumed
    EXPECT_ERR(sc(SYS_pread64, fd, bad_ptr(i), 4, 0), EFAULT);
  }
  g_ctx[0] = 0;
  still_alive();
}

static int is_tty_or_pipe(int fd) {
  struct stat st;
  return sc(SYS_fstat, fd, &st) == 0 && (isatty(fd) || S_ISFIFO(st.st_mode));
}

static void t_efault_write(void) {
  int fd = scratch_open(O_RDWR);
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_write, fd, bad_ptr(i), 4), EFAULT);
    EXPECT_ERR(sc(SYS_pwrite64, fd, bad_ptr(i), 4, 0), EFAULT);
    if (is_tty_or_pipe(1)) // the console; /dev/null on the host would take anything
      EXPECT_ERR(sc(SYS_write, 1, bad_ptr(i), 4), EFAULT);
  }
  g_ctx[0] = 0;
  struct stat st;
  OK(sc(SYS_fstat, fd, &st));
  CHECK(st.st_size == 0);
  still_alive();
}

// A path that runs off the end of the mapped memory before its NUL.
static char *unterminated_path(void) {
  char *p = xmmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0);
  OK(sc(SYS_munmap, p + PAGE, PAGE));
  memset(p, 'a', PAGE);
  p[0] = '/';
  return p;
}

static void t_efault_open(void) {
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_open, bad_ptr(i), O_RDONLY, 0), EFAULT);
    EXPECT_ERR(sc(SYS_openat, AT_FDCWD, bad_ptr(i), O_RDONLY, 0), EFAULT);
  }
  ctx("[unterminated path]");
  char *p = unterminated_path();
  EXPECT_ERR(sc(SYS_open, p + PAGE - 8, O_RDONLY, 0), EFAULT);
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_stat(void) {
  struct stat st;
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_stat, bad_ptr(i), &st), EFAULT);
    EXPECT_ERR(sc(SYS_stat, g_self, bad_ptr(i)), EFAULT);
    EXPECT_ERR(sc(SYS_lstat, bad_ptr(i), &st), EFAULT);
    EXPECT_ERR(sc(SYS_lstat, g_self, bad_ptr(i)), EFAULT);
    EXPECT_ERR(sc(SYS_newfstatat, AT_FDCWD, bad_ptr(i), &st, 0), EFAULT);
    EXPECT_ERR(sc(SYS_newfstatat, AT_FDCWD, g_self, bad_ptr(i), 0), EFAULT);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_fstat(void) {
  int fd = open_self();
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_fstat, fd, bad_ptr(i)), EFAULT);
    EXPECT_ERR(sc(SYS_fstat, 1, bad_ptr(i)), EFAULT);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_uname(void) {
  for (int i = 0; i < NBAD; i++)
    EXPECT_ERR(sc(SYS_uname, bad_ptr(i)), EFAULT);
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_clock(void) {
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_clock_gettime, CLOCK_MONOTONIC, bad_ptr(i)), EFAULT);
    EXPECT_ERR(sc(SYS_clock_gettime, CLOCK_REALTIME, bad_ptr(i)), EFAULT);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_getcwd(void) {
  for (int i = 0; i < NBAD; i++)
    EXPECT_ERR(sc(SYS_getcwd, bad_ptr(i), 4096), EFAULT);
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_readv(void) {
  int fd = open_self();
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_readv, fd, bad_ptr(i), 1), EFAULT); // the iovec array
    struct iovec iov = {bad_ptr(i), 4};                        // a buffer in it
    EXPECT_ERR(sc(SYS_readv, fd, &iov, 1), EFAULT);
  }
  g_ctx[0] = 0;
  CHECK(sc(SYS_lseek, fd, 0, SEEK_CUR) == 0);
  still_alive();
}

static void t_efault_writev(void) {
  int fd = scratch_open(O_RDWR);
  for (int i = 0; i < NBAD; i++) {
    EXPECT_ERR(sc(SYS_writev, fd, bad_ptr(i), 1), EFAULT);
    struct iovec iov = {bad_ptr(i), 4};
    EXPECT_ERR(sc(SYS_writev, fd, &iov, 1), EFAULT);
    if (is_tty_or_pipe(1))
      EXPECT_ERR(sc(SYS_writev, 1, &iov, 1), EFAULT);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_efault_getrandom(void) {
  for (int i = 0; i < NBAD; i++)
    EXPECT_ERR(sc(SYS_getrandom, bad_ptr(i), 16, 0), EFAULT);
  g_ctx[0] = 0;
  still_alive();
}

// A buffer whose first bytes are mapped and the rest not.
static char *half_mapped(void) {
  char *p = xmmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0);
  OK(sc(SYS_munmap, p + PAGE, PAGE));
  memcpy(p + PAGE - 2, "ab", 2);
  return p + PAGE - 2; // 2 mapped bytes, then the hole
}

// Writing to the console from a buffer running into a hole: Linux copies the whole
// chunk before writing any of it, so the answer is exactly EFAULT. (To a regular file
// Linux may write the mapped part; that case is not asserted.)
static void t_efault_span_write(void) {
  char *b = half_mapped();
  if (g_vitrine || is_tty_or_pipe(1))
    EXPECT_ERR(sc(SYS_write, 1, b, 4), EFAULT);
  still_alive();
}

// Reading from a file into such a buffer: Linux returns the 2 bytes that fit; a kernel
// that checks the whole buffer first returns EFAULT. Both are accepted.
static void t_efault_span_read(void) {
  char *b = half_mapped();
  int fd = open_self();
  errno = 0;
  long r = sc(SYS_read, fd, b, 4);
  if (r == 2)
    CHECK(memcmp(b, ELFMAG, 2) == 0 && sc(SYS_lseek, fd, 0, SEEK_CUR) == 2);
  else if (!(r == -1 && errno == EFAULT))
    fail_at(__LINE__, "read got %ld errno %d, want 2 or EFAULT", r, errno);
  still_alive();
}

// ---------------------------------------------------------------------------------
// Bad descriptors

#define NBADFD 3
static int bad_fd(int i) {
  static int closed = -1;
  if (closed < 0) {
    closed = open_self();
    OK(sc(SYS_close, closed));
  }
  int fd = i == 0 ? -1 : i == 1 ? 1000000 : closed;
  ctx("[fd %d]", fd);
  return fd;
}

static void t_ebadf_rw(void) {
  char b[4] = "abc";
  for (int i = 0; i < NBADFD; i++) {
    EXPECT_ERR(sc(SYS_read, bad_fd(i), b, 4), EBADF);
    EXPECT_ERR(sc(SYS_write, bad_fd(i), b, 4), EBADF);
    EXPECT_ERR(sc(SYS_pread64, bad_fd(i), b, 4, 0), EBADF);
    EXPECT_ERR(sc(SYS_pwrite64, bad_fd(i), b, 4, 0), EBADF);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_ebadf_vec(void) {
  char b[4];
  struct iovec iov = {b, 4};
  for (int i = 0; i < NBADFD; i++) {
    EXPECT_ERR(sc(SYS_readv, bad_fd(i), &iov, 1), EBADF);
    EXPECT_ERR(sc(SYS_writev, bad_fd(i), &iov, 1), EBADF);
  }
  g_ctx[0] = 0;
  still_alive();
}

static void t_ebadf_misc(void) {
  struct stat st;
  struct winsize ws;
  for (int i = 0; i < NBADFD; i++) {
    EXPECT_ERR(sc(SYS_fstat, bad_fd(i), &st), EBADF);
    EXPECT_ERR(sc(SYS_lseek, bad_fd(i), 0, SEEK_SET), EBADF);
    EXPECT_ERR(sc(SYS_close, bad_fd(i)), EBADF);
    EXPECT_ERR(sc(SYS_ioctl, bad_fd(i), TIOCGWINSZ, &ws), EBADF);
  }
  g_ctx[0] = 0;
  still_alive();
}

// A descriptor opened for reading refuses writes, and the other way round.
static void t_ebadf_mode(void) {
  char b[4] = "abc";
  struct iovec iov = {b, 4};
  int ro = open_self();
  EXPECT_ERR(sc(SYS_write, ro, b, 4), EBADF);
  EXPECT_ERR(sc(SYS_pwrite64, ro, b, 4, 0), EBADF);
  EXPECT_ERR(sc(SYS_writev, ro, &iov, 1), EBADF);
  int wo = scratch_open(O_WRONLY);
  EXPECT_ERR(sc(SYS_read, wo, b, 4), EBADF);
  EXPECT_ERR(sc(SYS_pread64, wo, b, 4, 0), EBADF);
  EXPECT_ERR(sc(SYS_readv, wo, &iov, 1), EBADF);
  still_alive();
}

// Numbers no kernel assigns. Avoided: 335 and up to the 460s (Linux keeps adding calls
// there; 335 is uretprobe, which answers with SIGILL), the top 32 bits of rax (Linux
// ignores them) and 0x40000000.. (x32).
static void t_enosys(void) {
  static const long nrs[] = {5000, 1024, 0x3fffffff, 0x7fffffff, -1};
  for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
    ctx("[nr %ld]", nrs[i]);
    EXPECT_ERR(sc(nrs[i], 1, 2, 3, 4, 5, 6), ENOSYS);
  }
  g_ctx[0] = 0;
  still_alive();
}

// ---------------------------------------------------------------------------------
// Crash isolation: a faulting child dies with the signal Linux sends; the parent runs on.

static char *volatile g_nullp;                       // volatile: no compile-time UB
static void crash_hlt(void) { __asm__ volatile("hlt"); }
static void crash_cli(void) { __asm__ volatile("cli"); }
static void crash_inb(void) { __asm__ volatile("inb $0x80, %%al" ::: "eax"); }
static void crash_rdmsr(void) { __asm__ volatile("rdmsr" ::"c"(0x10) : "eax", "edx"); }
// Vectors whose gates are not for user mode: #GP, never the real handler.
static void crash_int_timer(void) { __asm__ volatile("int $0x20"); }
static void crash_int_pf(void) { __asm__ volatile("int $0x0e"); }
static void crash_kread(void) { (void)*(volatile char *)0xffffffff80100000UL; }
static void crash_kwrite(void) { *(volatile char *)0xffff800000000000UL = 1; }
static void crash_noncanon_read(void) { (void)*(volatile char *)0x8000000000000000UL; }
static void crash_null_write(void) { *g_nullp = 1; }
static void crash_jump_noncanon(void) { ((void (*)(void))0x0000800000000000UL)(); }
static void crash_jump_kernel(void) { ((void (*)(void))0xffffffff80100000UL)(); }
static void crash_jump_null(void) { ((void (*)(void))g_nullp)(); }
static void crash_ud2(void) { __asm__ volatile("ud2"); }
static void crash_int3(void) { __asm__ volatile("int3"); }
static void crash_div0(void) {
  __asm__ volatile("xor %%edx, %%edx\n mov $1, %%eax\n xor %%ecx, %%ecx\n div %%ecx" ::
                       : "eax", "ecx", "edx");
}
static void crash_idiv_overflow(void) { // INT_MIN / -1 traps like division by zero
  __asm__ volatile("mov $0x80000000, %%eax\n cltd\n mov $-1, %%ecx\n idiv %%ecx" ::
                       : "eax", "ecx", "edx");
}
static void crash_rodata_write(void) {
  static const char ro[] = "read-only";
  *(volatile char *)(uintptr_t)ro = 'R';
}
static void crash_text_write(void) { *(volatile char *)(uintptr_t)&t_read_file = 0xc3; }
static void crash_exec_nx(void) { // a writable page is not executable
  char *p = xmmap(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
  p[0] = (char)0xc3; // ret
  ((void (*)(void))p)();
}
static void crash_stack_overflow(void) { overflow_stack(); }
// A fault taken with a stack pointer in the kernel half: the kernel must not use it.
static void crash_fault_bad_rsp(void) {
  __asm__ volatile("mov $0xffffffff80100000, %%rsp\n push %%rax" ::: "memory");
}

#define CRASH(id, sig)                                                                   \
  static void t_crash_##id(void) {                                                       \
    EXPECT_KILLED(child_status(crash_##id), sig);                                        \
    still_alive();                                                                       \
  }
CRASH(hlt, SIGSEGV)
CRASH(cli, SIGSEGV)
CRASH(inb, SIGSEGV)
CRASH(rdmsr, SIGSEGV)
CRASH(int_timer, SIGSEGV)
CRASH(int_pf, SIGSEGV)
CRASH(kread, SIGSEGV)
CRASH(kwrite, SIGSEGV)
CRASH(noncanon_read, SIGSEGV)
CRASH(null_write, SIGSEGV)
CRASH(jump_noncanon, SIGSEGV)
CRASH(jump_kernel, SIGSEGV)
CRASH(jump_null, SIGSEGV)
CRASH(ud2, SIGILL)
CRASH(int3, SIGTRAP)
CRASH(div0, SIGFPE)
CRASH(idiv_overflow, SIGFPE)
CRASH(rodata_write, SIGSEGV)
CRASH(text_write, SIGSEGV)
CRASH(exec_nx, SIGSEGV)
CRASH(stack_overflow, SIGSEGV)
CRASH(fault_bad_rsp, SIGSEGV)

// System calls made with a hostile stack pointer work: the kernel switches stacks
// and never touches the user's.
static unsigned long g_bad_rsp;
static void syscall_with_bad_rsp(void) {
  __asm__ volatile("mov %0, %%rsp\n"
                   "mov $39, %%eax\n syscall\n" // getpid
                   "mov $60, %%eax\n mov $42, %%edi\n syscall\n" // exit(42)
                   ::"r"(g_bad_rsp)
                   : "memory");
  __builtin_unreachable();
}

static void t_syscall_bad_rsp(void) {
  static const unsigned long rsps[] = {0xffffffff80100000UL, 0x0000800000000000UL, 0, 1};
  for (int i = 0; i < 4; i++) {
    g_bad_rsp = rsps[i];
    ctx("[rsp %#lx]", rsps[i]);
    EXPECT_EXIT(child_status(syscall_with_bad_rsp), 42);
  }
}

// ---------------------------------------------------------------------------------
// Modes used by the exec tests: this binary run again with special arguments.

extern char _start[];
extern char **environ;

static int exec_check(int argc, char **argv, char **envp) {
  static const char *want_argv[] = {"ut-argv0", "--exec-check", NULL, "hello world", "",
                                    "tab\there"};
  static const char *want_env[] = {"UT_A=1", "UT_B=with space", "UT_EMPTY="};
  if (argc != 6 || argv[6] != NULL)
    return 101;
  for (int i = 0; i < 6; i++)
    if (want_argv[i] && strcmp(argv[i], want_argv[i]) != 0)
      return 102;
  for (int i = 0; i < 3; i++)
    if (!envp[i] || strcmp(envp[i], want_env[i]) != 0)
      return 103;
  if (envp[3] != NULL || environ != envp)
    return 104;
  if (strcmp(getenv("UT_B"), "with space") != 0)
    return 105;
  return atoi(argv[2]);
}

static int auxv_check(void) {
  if (getauxval(AT_PAGESZ) != 4096)
    return 101;
  const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
  if (!rnd)
    return 102;
  unsigned char any = 0;
  for (int i = 0; i < 16; i++) // 16 bytes, readable, not all zero
    any |= rnd[i];
  if (!any)
    return 103;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
  unsigned long phnum = getauxval(AT_PHNUM);
  if (!ph || getauxval(AT_PHENT) != sizeof(Elf64_Phdr) || phnum == 0)
    return 104;
  int loads = 0;
  for (unsigned long i = 0; i < phnum; i++) // AT_PHDR points at our program headers
    loads += ph[i].p_type == PT_LOAD;
  if (loads == 0)
    return 105;
  if (getauxval(AT_ENTRY) == 0 || getauxval(AT_ENTRY) != (unsigned long)_start)
    return 106;
  return 0;
}

static int args_check(int argc, char **argv) {
  if (argc != 102)
    return 101;
  for (int i = 0; i < 100; i++) {
    const char *s = argv[2 + i];
    if (strlen(s) != 200 || s[0] != 'a' + i % 26 || s[199] != 'a' + i % 26)
      return 102;
  }
  return 0;
}

static int fd_check(char **argv) {
  int fd = atoi(argv[2]), cl = atoi(argv[3]);
  struct stat st;
  char b[3];
  if (sc(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
    return 101;
  if (sc(SYS_read, fd, b, 3) != 3 || memcmp(b, "ELF", 3) != 0) // offset kept (1)
    return 102;
  if (sc(SYS_fstat, cl, &st) != -1 || errno != EBADF) // O_CLOEXEC closed it
    return 103;
  if (sc(SYS_fstat, 1, &st) != 0)
    return 104;
  return 0;
}

static int pid_check(char **argv) {
  if (sc(SYS_getpid) != atol(argv[2]))
    return 101;
  if (sc(SYS_getppid) != atol(argv[3]))
    return 102;
  return 0;
}

// The mapping the pre-exec image made at EXEC_PROBE_ADDR must be gone.
static int unmapped_check(void) {
  errno = 0;
  if (sc(SYS_mprotect, EXEC_PROBE_ADDR, PAGE, PROT_READ) != -1 || errno != ENOMEM)
    return 101;
  return 0;
}

// Returns the exit status for a helper mode, or -1 if argv asks for no such mode.
static int helper_mode(int argc, char **argv, char **envp) {
  if (argc < 2)
    return -1;
  const char *m = argv[1];
  if (strcmp(m, "--exit") == 0 && argc == 3)
    return atoi(argv[2]);
  if (strcmp(m, "--exec-check") == 0)
    return exec_check(argc, argv, envp);
  if (strcmp(m, "--auxv-check") == 0)
    return auxv_check();
  if (strcmp(m, "--args-check") == 0)
    return args_check(argc, argv);
  if (strcmp(m, "--fd-check") == 0 && argc == 4)
    return fd_check(argv);
  if (strcmp(m, "--pid-check") == 0 && argc == 4)
    return pid_check(argv);
  if (strcmp(m, "--unmapped-check") == 0)
    return unmapped_check();
  if ((strcmp(m, "--sig-set") == 0 || strcmp(m, "--sig-ign") == 0) && argc == 4)
    return sig_helper(argv);
  return -1;
}

// ---------------------------------------------------------------------------------
// Leak check (runs in the runner itself, last)

static unsigned long long free_bytes(void) {
  struct sysinfo si;
  if (sc(SYS_sysinfo, &si) != 0)
    return 0;
  return (unsigned long long)si.freeram * (si.mem_unit ? si.mem_unit : 1);
}

// One round of everything whose memory must all come back.
static int leak_round(int forks, int execs, int crashes) {
  char *argv[] = {(char *)g_self, "--exit", "0", NULL}, *envp[] = {NULL};
  for (int i = 0; i < forks + execs + crashes; i++) {
    long pid = sc(SYS_fork);
    if (pid < 0)
      return -1;
    if (pid == 0) {
      if (i >= forks + execs)
        crash_kwrite();
      else if (i >= forks)
        sc(SYS_execve, g_self, argv, envp);
      _exit(0);
    }
    int st;
    if (sc(SYS_wait4, pid, &st, 0, NULL) != pid)
      return -1;
    if (i < forks + execs ? st != 0 : !WIFSIGNALED(st))
      return -1;
  }
  return 0;
}

// After 50 fork+exit, 20 fork+execve and 10 crashing children, free memory must be
// back exactly where it was. One warm-up round first, so that what the kernel sets up
// once (and the runner's own stack) is not counted. Linux's free memory moves on its
// own, so the check means something only on Vitrine: elsewhere it gives no result.
static int leak_check(char *why, size_t n) {
  if (!g_vitrine)
    return -1;
  if (leak_round(1, 1, 1) != 0) {
    snprintf(why, n, "warm-up round failed");
    return 0;
  }
  unsigned long long before = free_bytes();
  if (before == 0) {
    snprintf(why, n, "sysinfo failed");
    return 0;
  }
  if (leak_round(50, 20, 10) != 0) {
    snprintf(why, n, "a fork, exec or wait failed");
    return 0;
  }
  unsigned long long after = free_bytes();
  if (after != before) {
    snprintf(why, n, "freeram %llu before, %llu after (%lld bytes lost)", before, after,
             (long long)(before - after));
    return 0;
  }
  return 1;
}

// ---------------------------------------------------------------------------------
// The table and the runner

static const struct ut_test tests[] = {
    UT(read_file), UT(write_file), UT(write_console), UT(readv_file), UT(writev_file),
    UT(writev_console), UT(readv_einval),
    UT(open_errors), UT(open_toolong), UT(open_lowest_fd), UT(open_many), UT(fd_high),
    UT(open_offsets),
    UT(open_trunc_append), UT(openat), UT(openat_errors), UT(close),
    UT(lseek), UT(lseek_errors), UT(pread), UT(pwrite),
    UT(fstat), UT(stat), UT(stat_errors), UT(newfstatat), UT(newfstatat_errors),
    UT(brk_grow), UT(brk_shrink_zero), UT(brk_fail),
    UT(mmap_anon), UT(mmap_large_sparse), UT(mmap_huge_reserve), UT(mmap_fixed), UT(mmap_many), UT(mmap_errors),
    UT(mmap_kernel_fixed), UT(munmap_partial), UT(munmap_rounding), UT(munmap_span),
    UT(munmap_errors), UT(mprotect_ro), UT(mprotect_none), UT(mprotect_partial),
    UT(mprotect_errors),
    UT(exit_status), UT(exit), UT(wait_signal_status), UT(fork_cow), UT(fork_cow_parent_writes), UT(fork_shares_until_write),
    UT(fork_fd_shared),
    UT(fork_many), UT(fork_nested), UT(getpid), UT(gettid), UT(wait_any), UT(wait_errors),
    UT(wait_nohang), UT(wait_efault),
    // (found by upstream strace in the guest: docs/ptrace.md)
    UT(wait_child_before_sigchld), UT(dev_full), UT(fcntl_cmd_int),
    UT(exec_exit), UT(exec_argv_envp), UT(exec_auxv), UT(exec_many_args), UT(exec_fds),
    UT(exec_pid), UT(exec_handlers_own), UT(exec_drops_mappings), UT(exec_errors), UT(exec_efault),
    UT(badelf_valid), UT(badelf_trunc_ehdr), UT(badelf_trunc_phdr), UT(badelf_bad_magic),
    UT(badelf_class32), UT(badelf_machine), UT(badelf_type_rel), UT(badelf_phentsize),
    UT(badelf_phnum0), UT(badelf_phnum_huge), UT(badelf_phoff_overflow),
    UT(badelf_no_load),
    UT(badelf_interp), UT(badelf_interp_nonul), UT(badelf_interp_short),
    UT(badelf_interp_past_end), UT(badelf_interp_notelf), UT(badelf_interp_dir),
    UT(badelf_interp_dynamic), UT(badelf_kernel_seg), UT(badelf_overlap),
    UT(badelf_filesz_gt_memsz),
    UT(badelf_offset_past_end), UT(badelf_huge_memsz), UT(badelf_wrap),
    UT(badelf_misaligned),
    UT(badelf_entry_outside),
    UT(uname), UT(arch_prctl_fs), UT(arch_prctl_errors), UT(ioctl_tty), UT(ioctl_errors),
    UT(clock_monotonic), UT(clock_realtime), UT(clock_errors), UT(nanosleep),
    UT(nanosleep_errors), UT(clock_nanosleep), UT(clock_nanosleep_errors),
    UT(ids), UT(sched_yield), UT(getcwd), UT(getrandom),
    UT(efault_read), UT(efault_write), UT(efault_open), UT(efault_stat), UT(efault_fstat),
    UT(efault_uname), UT(efault_clock), UT(efault_getcwd), UT(efault_readv),
    UT(efault_writev),
    UT(efault_getrandom), UT(efault_span_write), UT(efault_span_read),
    UT(ebadf_rw), UT(ebadf_vec), UT(ebadf_misc), UT(ebadf_mode), UT(enosys),
    UT(crash_hlt), UT(crash_cli), UT(crash_inb), UT(crash_rdmsr), UT(crash_int_timer),
    UT(crash_int_pf), UT(crash_kread), UT(crash_kwrite), UT(crash_noncanon_read),
    UT(crash_null_write), UT(crash_jump_noncanon), UT(crash_jump_kernel),
    UT(crash_jump_null),
    UT(crash_ud2), UT(crash_int3), UT(crash_div0), UT(crash_idiv_overflow),
    UT(crash_rodata_write), UT(crash_text_write), UT(crash_exec_nx),
    UT(crash_stack_overflow),
    UT(crash_fault_bad_rsp), UT(syscall_bad_rsp),
    {"leak_check", NULL, NULL, leak_check}, // in the runner itself, after all the others
};
int main(int argc, char **argv, char **envp) {
  int code = helper_mode(argc, argv, envp);
  if (code >= 0)
    return code;
  ut_setup(argv[0], "/tests/usertests");
  static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests)};
  return ut_main(&suite, argc, argv);
}
