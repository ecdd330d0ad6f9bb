// filemaptests: mmap of files (docs/syscalls.md), and what proc shows of mappings
// (/proc/PID/maps with file, offset and inode; /proc/PID/auxv).
//
// Every test also runs on the host's Linux (build/guest/filemaptests), which is how
// the expectations were checked. Files are made in /tmp, one per test.
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

#define PAGE 4096

// A new file in /tmp of n bytes, byte i being pattern(i), open O_RDWR; path in path.
static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + i / PAGE); }
static int make_file(char *path, size_t n) {
  snprintf(path, 64, "/tmp/filemap-%s-%d", g_name, getpid());
  int fd = OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
  static unsigned char buf[4 * PAGE];
  for (size_t done = 0; done < n;) {
    size_t k = n - done < sizeof buf ? n - done : sizeof buf;
    for (size_t i = 0; i < k; i++)
      buf[i] = pattern(done + i);
    CHECK_EQ(OK(write(fd, buf, k)), k);
    done += k;
  }
  return fd;
}

static void *xmap(size_t len, int prot, int flags, int fd, off_t off) {
  void *p = mmap(NULL, len, prot, flags, fd, off);
  if (p == MAP_FAILED)
    fail_at(__LINE__, "mmap(%zu, %d, 0x%x, %d, %ld): %s", len, prot, flags, fd, (long)off,
            strerror(errno));
  return p;
}

static volatile char *g_touch;
static void touch_read(void) { (void)*g_touch; }
static void touch_write(void) { *g_touch = 1; }
static void expect_signal(volatile char *p, bool write, int sig) {
  g_touch = p;
  EXPECT_KILLED(child_status(write ? touch_write : touch_read), sig);
}

// A private mapping at a page-aligned offset shows the file; writes to it are the
// process's own (copy on write): neither the file nor another mapping sees them.
static void t_private_cow(void) {
  char path[64];
  int fd = make_file(path, 4 * PAGE);
  unsigned char *p = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
  unsigned char *q = xmap(2 * PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
  for (size_t i = 0; i < 2 * PAGE; i++)
    CHECK(p[i] == pattern(PAGE + i));
  p[10] = 0xee;
  p[PAGE + 5] = 0xdd;
  CHECK(q[10] == pattern(PAGE + 10));
  unsigned char b;
  CHECK_EQ(OK(pread(fd, &b, 1, PAGE + 10)), 1);
  CHECK(b == pattern(PAGE + 10));
  // A child's write is its own too.
  long pid = xfork();
  if (pid == 0) {
    p[10] = 0x11;
    _exit(p[10] == 0x11 ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(p[10] == 0xee && p[PAGE + 5] == 0xdd);
  OK(close(fd)); // the mapping outlives the descriptor and the name
  OK(unlink(path));
  CHECK(q[PAGE] == pattern(2 * PAGE));
}

// A file of the initramfs (never written), mapped private, reads as read(2) does.
static void t_private_initramfs(void) {
  int fd = OK(open(g_self, O_RDONLY));
  struct stat st;
  OK(fstat(fd, &st));
  size_t len = st.st_size < 3 * PAGE ? st.st_size : 3 * PAGE;
  unsigned char *p = xmap(len, PROT_READ, MAP_PRIVATE, fd, 0), buf[3 * PAGE];
  CHECK_EQ(OK(pread(fd, buf, len, 0)), len);
  CHECK(memcmp(p, buf, len) == 0);
  CHECK(p[0] == 0x7f && p[1] == 'E');
}

// MAP_SHARED: a write through the mapping is seen by read(2) and by another mapping,
// a write(2) is seen through the mappings, and a child's writes reach the parent.
static void t_shared_visible(void) {
  char path[64];
  int fd = make_file(path, 3 * PAGE);
  char *p = xmap(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *q = xmap(2 * PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
  memcpy(p + PAGE + 100, "through the map", 15);
  char b[16] = {0};
  CHECK_EQ(OK(pread(fd, b, 15, PAGE + 100)), 15);
  CHECK(memcmp(b, "through the map", 15) == 0);
  CHECK(memcmp(q + 100, "through the map", 15) == 0);
  CHECK_EQ(OK(pwrite(fd, "by write", 8, 2 * PAGE + 8)), 8);
  CHECK(memcmp(p + 2 * PAGE + 8, "by write", 8) == 0);
  CHECK(memcmp(q + PAGE + 8, "by write", 8) == 0);
  long pid = xfork();
  if (pid == 0) {
    memcpy(p + 1, "child", 5);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(memcmp(p + 1, "child", 5) == 0);
  CHECK_EQ(OK(pread(fd, b, 5, 1)), 5);
  CHECK(memcmp(b, "child", 5) == 0);
  OK(msync(p, 3 * PAGE, MS_SYNC));
  OK(msync(p + PAGE, PAGE, MS_ASYNC | MS_INVALIDATE));
  OK(unlink(path));
}

// A file that grows under a shared mapping (ftruncate) shows the new bytes there.
static void t_shared_truncate_grow(void) {
  char path[64];
  int fd = make_file(path, 0);
  OK(ftruncate(fd, 2 * PAGE));
  char *p = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  p[PAGE + 1] = 'x';
  char c = 0;
  CHECK_EQ(OK(pread(fd, &c, 1, PAGE + 1)), 1);
  CHECK(c == 'x');
  struct stat st;
  OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 2 * PAGE); // writing through the map does not grow the file
  OK(unlink(path));
}

// Past the end of the file: the rest of the last page reads as zeros; a page wholly
// past the end is SIGBUS, read or written, private or shared.
static void t_sigbus_past_eof(void) {
  char path[64];
  int fd = make_file(path, 100);
  char *p = xmap(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char *s = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p[99] == (char)pattern(99) && p[100] == 0 && p[PAGE - 1] == 0);
  CHECK(s[50] == (char)pattern(50) && s[PAGE - 1] == 0);
  expect_signal(p + PAGE, false, SIGBUS);
  expect_signal(p + 2 * PAGE + 7, true, SIGBUS);
  expect_signal(s + PAGE, true, SIGBUS);
  // A mapping at an offset past the end: every page is SIGBUS.
  char *far = xmap(PAGE, PROT_READ, MAP_PRIVATE, fd, 4 * PAGE);
  expect_signal(far, false, SIGBUS);
  // The kernel does not fault on it: read(2) into it is EFAULT.
  int pfd[2];
  OK(pipe(pfd));
  CHECK_EQ(OK(write(pfd[1], "abc", 3)), 3);
  EXPECT_ERR(read(pfd[0], p + PAGE, 3), EFAULT);
  OK(unlink(path));
}

// MAP_FIXED over existing mappings replaces them (anonymous by file, file by file).
static void t_fixed_over(void) {
  char path[64];
  int fd = make_file(path, 4 * PAGE);
  char *a = xmap(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 'a', 4 * PAGE);
  CHECK(mmap(a + PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 2 * PAGE) == a + PAGE);
  CHECK(a[0] == 'a' && a[3 * PAGE] == 'a');
  CHECK(a[PAGE] == (char)pattern(2 * PAGE) && a[3 * PAGE - 1] == (char)pattern(4 * PAGE - 1));
  CHECK(mmap(a + PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == a + PAGE);
  CHECK(a[PAGE + 1] == (char)pattern(1) && a[2 * PAGE] == (char)pattern(3 * PAGE));
  OK(unlink(path));
}

// munmap and mprotect of part of a file mapping: the rest keeps its pages and offsets.
static void t_partial(void) {
  char path[64];
  int fd = make_file(path, 4 * PAGE);
  char *p = xmap(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  OK(munmap(p + PAGE, PAGE));
  expect_signal(p + PAGE, false, SIGSEGV);
  CHECK(p[2 * PAGE] == (char)pattern(2 * PAGE) && p[0] == (char)pattern(0));
  OK(mprotect(p + 2 * PAGE, PAGE, PROT_READ));
  expect_signal(p + 2 * PAGE, true, SIGSEGV);
  p[3 * PAGE] = 'w';
  CHECK(p[2 * PAGE + 1] == (char)pattern(2 * PAGE + 1) && p[3 * PAGE] == 'w');
  OK(mprotect(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE));
  p[2 * PAGE] = 'v';
  CHECK(p[2 * PAGE] == 'v');
  OK(unlink(path));
}

// Linux's errors, and no change when a call fails.
static void t_errors(void) {
  char path[64];
  int fd = make_file(path, 2 * PAGE);
  int ro = OK(open(path, O_RDONLY)), wo = OK(open(path, O_WRONLY));
  int ap = OK(open(path, O_RDWR | O_APPEND));
  int closed = OK(dup(fd));
  OK(close(closed));
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, closed, 0), EBADF);
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, 1000, 0), EBADF);
  // Linux's order: the offset's alignment, then the descriptor, then length and type.
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, closed, 100), EINVAL);
  EXPECT_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, closed, 0), EBADF);
  EXPECT_ERR(mmap(NULL, PAGE, PROT_NONE, 0, closed, 0), EBADF);
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
  char *a = xmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0); // O_APPEND is no bar
  a[0] = 'A';
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
  EXPECT_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, 0, fd, 0), EINVAL); // neither shared nor private
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd, 0), EOPNOTSUPP);
  OK(munmap(xmap(PAGE, PROT_READ, MAP_SHARED_VALIDATE, fd, 0), PAGE));
  int dir = OK(open("/tmp", O_RDONLY | O_DIRECTORY));
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV);
  int pfd[2];
  OK(pipe(pfd));
  EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, pfd[0], 0), ENODEV);
  // A private writable mapping of a read-only descriptor is fine; a shared read-only
  // one cannot be made writable later.
  char *p = xmap(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  p[0] = 'p';
  char *s = xmap(2 * PAGE, PROT_READ, MAP_SHARED, ro, 0);
  EXPECT_ERR(mprotect(s, PAGE, PROT_READ | PROT_WRITE), EACCES);
  expect_signal(s, true, SIGSEGV);
  OK(mprotect(s, PAGE, PROT_READ | PROT_EXEC));
  // msync: alignment, flags, and something mapped.
  EXPECT_ERR(msync(s + 1, PAGE, MS_SYNC), EINVAL);
  EXPECT_ERR(msync(s, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
  EXPECT_ERR(msync(s, PAGE, 0x100), EINVAL);
  OK(munmap(s, 2 * PAGE));
  EXPECT_ERR(msync(s, PAGE, MS_SYNC), ENOMEM);
  OK(msync(p, PAGE, 0));
  // A failed MAP_FIXED_NOREPLACE leaves the mapping there as it was.
  EXPECT_ERR(mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0), EEXIST);
  CHECK(p[0] == 'p');
  OK(unlink(path));
}

// This process's maps, whole (a static buffer).
static char *read_maps(void) {
  static char b[65536];
  int m = OK(open("/proc/self/maps", O_RDONLY));
  long n = 0, k;
  while ((k = OK(read(m, b + n, sizeof b - 1 - n))) > 0)
    n += k;
  b[n] = 0;
  close(m);
  return b;
}

// maps: a file mapping's line names the file, its offset and inode, as Linux prints.
static void t_maps_file(void) {
  char path[64];
  int fd = make_file(path, 4 * PAGE);
  struct stat st;
  OK(fstat(fd, &st));
  char *p = xmap(2 * PAGE, PROT_READ, MAP_SHARED, fd, 2 * PAGE);
  char *b = read_maps();
  char want[64];
  snprintf(want, sizeof want, "%08lx-%08lx r--s 00002000 ", (unsigned long)p,
           (unsigned long)p + 2 * PAGE);
  char *line = strstr(b, want);
  if (!line)
    fail_at(__LINE__, "no line starting '%s' in:\n%s", want, b);
  *strchr(line, '\n') = 0;
  unsigned maj, min;
  unsigned long ino;
  char name[64];
  CHECK(sscanf(line + strlen(want), "%x:%x %lu %63s", &maj, &min, &ino, name) == 4);
  CHECK_EQ(ino, st.st_ino);
  CHECK(strcmp(name, path) == 0);
  CHECK(strlen(line) == 73 + strlen(path)); // the name starts in column 74
  OK(unlink(path));
}

// maps names the program's own segments after its file.
static void t_maps_exe(void) {
  char *b = read_maps();
  char want[80];
  snprintf(want, sizeof want, " %s\n", g_self);
  CHECK(strstr(b, "r-xp ") && strstr(b, want));
  CHECK(strstr(b, "[stack]\n"));
}

// auxv: the vector the program got, pairs of words ending with AT_NULL.
static void t_auxv(void) {
  unsigned long v[128];
  int fd = OK(open("/proc/self/auxv", O_RDONLY));
  long n = OK(read(fd, v, sizeof v));
  CHECK(n > 0 && n % 16 == 0);
  CHECK(v[n / 8 - 2] == AT_NULL);
  int seen = 0;
  for (long i = 0; i + 1 < n / 8; i += 2) {
    unsigned long key = v[i], val = v[i + 1];
    if (key == AT_PAGESZ || key == AT_ENTRY || key == AT_PHDR || key == AT_RANDOM ||
        key == AT_PHNUM || key == AT_EXECFN) {
      CHECK_EQ(val, getauxval(key));
      seen++;
    }
  }
  CHECK_EQ(seen, 6);
  struct stat st;
  OK(stat("/proc/self/auxv", &st));
  CHECK_EQ(st.st_mode & 0777, 0400);
}

// ---- files that change under their mappings ----
// A shared and a private read-write mapping of len bytes of fd from offset 0.
static void map_both(int fd, size_t len, char **shared, char **private) {
  *shared = xmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  *private = xmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
}

// ftruncate down: pages past the new end are SIGBUS in every mapping, private copies
// too; the last page's rest reads as zeros; a private copy within the file stays.
// ftruncate up: those pages are valid again, with zeros (the old copies gone).
static void t_truncate_under_maps(void) {
  char path[64], *s, *p;
  int fd = make_file(path, 3 * PAGE);
  map_both(fd, 3 * PAGE, &s, &p);
  p[0] = 'p', p[2 * PAGE] = 'c';              // private copies of pages 0 and 2
  CHECK(p[PAGE + 20] == (char)pattern(PAGE + 20) && s[2 * PAGE] == (char)pattern(2 * PAGE));
  OK(ftruncate(fd, PAGE + 10));
  CHECK(s[PAGE + 9] == (char)pattern(PAGE + 9) && s[PAGE + 10] == 0 && s[2 * PAGE - 1] == 0);
  CHECK(p[PAGE + 20] == 0);                   // not copied: the file's page, cut
  CHECK(p[0] == 'p');                         // copied, within the file: kept
  expect_signal(s + 2 * PAGE, false, SIGBUS);
  expect_signal(p + 2 * PAGE, false, SIGBUS); // the copy went with the page
  expect_signal(s + 2 * PAGE + 5, true, SIGBUS);
  OK(ftruncate(fd, 3 * PAGE));
  CHECK(s[2 * PAGE] == 0 && p[2 * PAGE] == 0 && s[PAGE + 100] == 0);
  s[2 * PAGE + 50] = 'm';
  char c = 0;
  CHECK_EQ(OK(pread(fd, &c, 1, 2 * PAGE + 50)), 1);
  CHECK(c == 'm' && p[2 * PAGE + 50] == 'm'); // a private page not yet written: the file
  OK(munmap(s, 3 * PAGE));
  OK(munmap(p, 3 * PAGE));
  OK(unlink(path));
}

// write(2) reaches every mapping's pages of the file, private ones until they are
// written (then they keep their copy); a write past the end makes the pages it
// covers valid, and a file that grows far (its data moves) stays one with its maps.
static void t_write_under_maps(void) {
  char path[64], *s, *p;
  int fd = make_file(path, 100);
  map_both(fd, 64 * PAGE, &s, &p);
  CHECK(s[10] == (char)pattern(10) && p[11] == (char)pattern(11));
  expect_signal(s + PAGE, false, SIGBUS);
  CHECK_EQ(OK(pwrite(fd, "by write", 8, 2)), 8);
  CHECK(memcmp(s + 2, "by write", 8) == 0 && memcmp(p + 2, "by write", 8) == 0);
  p[1] = 'q';
  CHECK_EQ(OK(pwrite(fd, "Z", 1, 1)), 1);
  CHECK(s[1] == 'Z' && p[1] == 'q');          // (p's page 0 was copied by its write)
  CHECK_EQ(OK(pwrite(fd, "end", 3, 2 * PAGE + 10)), 3);
  CHECK(s[PAGE] == 0 && memcmp(s + 2 * PAGE + 10, "end", 3) == 0);
  CHECK(memcmp(p + 2 * PAGE + 10, "end", 3) == 0);
  expect_signal(s + 3 * PAGE, false, SIGBUS);
  s[PAGE + 7] = 's';
  CHECK_EQ(OK(pwrite(fd, "far", 3, 60 * PAGE)), 3); // the file grows far
  CHECK(memcmp(s + 60 * PAGE, "far", 3) == 0 && memcmp(p + 60 * PAGE, "far", 3) == 0);
  CHECK(s[PAGE + 7] == 's' && p[PAGE + 7] == 's' && s[1] == 'Z' && p[1] == 'q');
  s[30 * PAGE] = 't';
  CHECK_EQ(OK(pwrite(fd, "again", 5, 2)), 5);
  CHECK(memcmp(s + 2, "again", 5) == 0 && memcmp(p + 2, "by write", 8) == 0);
  char b[8] = {0};
  CHECK_EQ(OK(pread(fd, b, 1, 30 * PAGE)), 1);
  CHECK(b[0] == 't' && p[30 * PAGE] == 't');
  OK(munmap(s, 64 * PAGE));
  OK(munmap(p, 64 * PAGE));
  OK(unlink(path));
}

// ---- the page cache under memory pressure ----
// A field of /proc/meminfo, in kB (fails the test if missing).
static long meminfo_kb(const char *field) {
  char buf[256];
  size_t n = strlen(field);
  long kb = -1;
  FILE *f = fopen("/proc/meminfo", "r");
  while (f && fgets(buf, sizeof buf, f))
    if (strncmp(buf, field, n) == 0 && buf[n] == ':')
      kb = strtol(buf + n + 1, NULL, 10);
  if (f)
    fclose(f);
  if (kb < 0)
    fail_at(__LINE__, "no %s in /proc/meminfo", field);
  return kb;
}

// Map every regular file under dir, read every page of it, unmap it. Returns bytes.
static size_t touch_tree(const char *dir) {
  size_t total = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char path[512];
    struct stat st;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (lstat(path, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      total += touch_tree(path);
      continue;
    }
    int fd = S_ISREG(st.st_mode) && st.st_size > 0 ? open(path, O_RDONLY) : -1;
    if (fd < 0)
      continue;
    volatile char *p = xmap(st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    for (off_t off = 0; off < st.st_size; off += PAGE)
      (void)p[off];
    OK(munmap((void *)p, st.st_size));
    close(fd);
    total += st.st_size;
  }
  if (d)
    closedir(d);
  return total;
}

static size_t touch_archive(void) {
  static const char *const dirs[] = {"/bin", "/sbin", "/tests", "/lib", "/lib64", "/usr"};
  size_t total = 0;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    total += touch_tree(dirs[i]);
  return total;
}

// Anonymous memory of kb kB, every page written.
static char *hog(long kb) {
  char *p = xmap((size_t)kb * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (long off = 0; off < kb * 1024; off += PAGE)
    p[off] = 1;
  return p;
}

static long g_hog_kb;
static void hog_child(void) {
  hog(g_hog_kb);
  _exit(0);
}
static void hog_and_touch_child(void) {
  hog(g_hog_kb);
  _exit(touch_archive() > 0 ? 0 : 1);
}

// Cached pages of files that no mapping holds are given back when memory runs out:
// after every file of the archive was mapped and read, memory close to what was
// available before can still be had; and a process that holds nearly all memory can
// still map and read more file data than is left. MemAvailable counts the cache.
static void t_cache_trim(void) {
  long avail0 = meminfo_kb("MemAvailable");
  size_t touched = touch_archive();
  CHECK(touched > 4 << 20);
  long cached = meminfo_kb("Cached"), avail1 = meminfo_kb("MemAvailable");
  CHECK(cached > 2048);
  CHECK(avail1 > avail0 - 1024); // (the cache counts as available)
  g_hog_kb = avail0 - 2048;
  EXPECT_EXIT(child_status(hog_child), 0);
  g_hog_kb = meminfo_kb("MemAvailable") - 3072;
  CHECK((size_t)3072 * 1024 < touched);
  EXPECT_EXIT(child_status(hog_and_touch_child), 0);
}

// ---- mremap ----
// An anonymous mapping grows in place when it can, moves (MREMAP_MAYMOVE) with its
// contents when it cannot, and shrinks; the new part reads as zeros.
static void t_mremap_anon(void) {
  char *p = xmap(5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OK(munmap(p + 2 * PAGE, 2 * PAGE)); // room to grow into, and a page after it
  char *block = p + 4 * PAGE;
  p[0] = 'a', p[PAGE] = 'b';
  char *g = mremap(p, 2 * PAGE, 4 * PAGE, 0);
  CHECK(g == p);
  CHECK(p[0] == 'a' && p[PAGE] == 'b' && p[3 * PAGE] == 0);
  // Something in the way: no room without MREMAP_MAYMOVE.
  CHECK(mremap(p, 4 * PAGE, 8 * PAGE, 0) == MAP_FAILED && errno == ENOMEM);
  char *m = mremap(p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
  CHECK(m != MAP_FAILED && m != p);
  CHECK(m[0] == 'a' && m[PAGE] == 'b' && m[7 * PAGE] == 0);
  m[7 * PAGE] = 'z';
  expect_signal(p, false, SIGSEGV); // the old place is gone
  // Shrinking unmaps the tail, in place.
  CHECK(mremap(m, 8 * PAGE, PAGE, 0) == m);
  CHECK(m[0] == 'a');
  expect_signal(m + PAGE, false, SIGSEGV);
  OK(munmap(m, PAGE));
  OK(munmap(block, PAGE));
}

// MREMAP_FIXED moves to a given place (replacing what was there), and
// MREMAP_DONTUNMAP leaves the old range mapped, reading as zeros again.
static void t_mremap_fixed(void) {
  char *p = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *t = xmap(3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(p, "one"), strcpy(p + PAGE, "two");
  char *m = mremap(p, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t);
  CHECK(m == t);
  CHECK(strcmp(m, "one") == 0 && strcmp(m + PAGE, "two") == 0 && m[2 * PAGE] == 0);
  m[2 * PAGE] = 1; // the area's rights came along: writable
  expect_signal(p, false, SIGSEGV);
  char *d = mremap(m, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  CHECK(d != MAP_FAILED && d != m);
  CHECK(strcmp(d, "one") == 0 && strcmp(d + PAGE, "two") == 0);
  CHECK(m[0] == 0 && m[PAGE] == 0); // still mapped, its pages gone
  OK(munmap(d, 2 * PAGE));
  OK(munmap(m, 3 * PAGE));
}

// A file mapping moves and grows with its file offset; a shared one stays the file's.
static void t_mremap_file(void) {
  char path[64];
  int fd = make_file(path, 8 * PAGE);
  unsigned char *p = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
  unsigned char *m = mremap(p, 2 * PAGE, 6 * PAGE, MREMAP_MAYMOVE);
  CHECK(m != MAP_FAILED);
  for (size_t i = 0; i < 6 * PAGE; i += 511)
    if (m[i] != pattern(PAGE + i))
      fail_at(__LINE__, "byte %zu: %d, not %d", i, m[i], pattern(PAGE + i));
  m[5 * PAGE + 3] = 'S';
  unsigned char c = 0;
  CHECK_EQ(OK(pread(fd, &c, 1, 6 * PAGE + 3)), 1);
  CHECK(c == 'S');
  unsigned char *q = xmap(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  q[1] = 'P';
  unsigned char *r = mremap(q, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
  CHECK(r != MAP_FAILED);
  CHECK(r[1] == 'P' && r[0] == pattern(0) && r[2 * PAGE + 5] == pattern(2 * PAGE + 5));
  CHECK_EQ(OK(pread(fd, &c, 1, 1)), 1);
  CHECK(c == pattern(1)); // the private copy stays private
  OK(munmap(m, 6 * PAGE));
  OK(munmap(r, 3 * PAGE));
  OK(unlink(path));
}

// Linux's errors: unknown flags, MREMAP_FIXED without MREMAP_MAYMOVE, a misaligned
// address, a zero new length, MREMAP_DONTUNMAP with a new length, overlapping ranges:
// EINVAL; an old range that is not mapped (or spans areas): EFAULT.
static void t_mremap_errors(void) {
  char *p = xmap(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(mremap(p, PAGE, 2 * PAGE, 8) == MAP_FAILED && errno == EINVAL);
  CHECK(mremap(p, PAGE, 2 * PAGE, MREMAP_FIXED, p + 8 * PAGE) == MAP_FAILED && errno == EINVAL);
  CHECK(mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL);
  CHECK(mremap(p, PAGE, 0, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL);
  CHECK(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED &&
        errno == EINVAL);
  CHECK(mremap(p, PAGE, PAGE, MREMAP_DONTUNMAP) == MAP_FAILED && errno == EINVAL);
  CHECK(mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + PAGE) == MAP_FAILED &&
        errno == EINVAL);
  CHECK(mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + 1) == MAP_FAILED &&
        errno == EINVAL);
  CHECK(mremap(p, 0, PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL); // private
  OK(munmap(p + 2 * PAGE, 2 * PAGE));
  CHECK(mremap(p + 2 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
  CHECK(mremap(p, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
  OK(munmap(p, 2 * PAGE));
}

// ---- madvise ----
// MADV_DONTNEED: anonymous pages read as zeros again, a private file mapping's as the
// file (its copies dropped), a shared one's keep what was written (it is the file).
static void t_madvise_dontneed(void) {
  char path[64];
  int fd = make_file(path, 2 * PAGE);
  char *a = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *pf = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  unsigned char *sf = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *sa = xmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  a[0] = 1, a[PAGE] = 2, pf[0] = 'p', pf[PAGE] = 'q', sf[PAGE + 1] = 's', sa[0] = 9;
  OK(madvise(a, PAGE, MADV_DONTNEED));
  CHECK(a[0] == 0 && a[PAGE] == 2);
  OK(madvise(pf, 2 * PAGE, MADV_DONTNEED));
  CHECK(pf[0] == pattern(0) && pf[PAGE] == pattern(PAGE) && pf[PAGE + 1] == 's');
  OK(madvise(sf, 2 * PAGE, MADV_DONTNEED));
  CHECK(sf[PAGE + 1] == 's' && sf[0] == pattern(0));
  OK(madvise(sa, PAGE, MADV_DONTNEED));
  CHECK(sa[0] == 9);
  a[0] = 3;
  OK(madvise(a, 2 * PAGE, MADV_FREE)); // reads as before or as zeros, until written
  CHECK(a[0] == 0 || a[0] == 3);
  a[0] = 4;
  CHECK(a[0] == 4);
  EXPECT_ERR(madvise(pf, PAGE, MADV_FREE), EINVAL); // anonymous memory only
  OK(unlink(path));
}

// Hints are taken; unknown advice, a misaligned start and a wrapping length are
// EINVAL; a range with a hole ENOMEM.
static void t_madvise_hints(void) {
  char *p = xmap(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[0] = 5;
  int hints[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DODUMP,
                 MADV_DONTDUMP};
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
    OK(madvise(p, 3 * PAGE, hints[i]));
  CHECK(p[0] == 5);
  OK(madvise(p, 0, MADV_DONTNEED));
  EXPECT_ERR(madvise(p, PAGE, 12345), EINVAL);
  EXPECT_ERR(madvise(p, 0, 12345), EINVAL);
  EXPECT_ERR(madvise(p + 1, PAGE, MADV_NORMAL), EINVAL);
  EXPECT_ERR(madvise(p, (size_t)-1, MADV_NORMAL), EINVAL);
  OK(munmap(p + PAGE, PAGE));
  EXPECT_ERR(madvise(p, 3 * PAGE, MADV_NORMAL), ENOMEM);
  EXPECT_ERR(madvise(p, 3 * PAGE, MADV_DONTNEED), ENOMEM);
  CHECK(p[0] == 0); // (the mapped part was still done)
  OK(munmap(p, 3 * PAGE));
}

// MADV_DONTFORK: the child has no such area; MADV_DOFORK gives it back;
// MADV_WIPEONFORK: the child's copy reads as zeros.
static volatile char *g_fork_area;
static void read_area(void) { _exit(*g_fork_area); }
static void t_madvise_fork(void) {
  char *p = xmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[0] = 7, p[PAGE] = 8;
  g_fork_area = p;
  OK(madvise(p, PAGE, MADV_DONTFORK));
  EXPECT_KILLED(child_status(read_area), SIGSEGV);
  g_fork_area = p + PAGE;
  EXPECT_EXIT(child_status(read_area), 8); // the rest of the mapping does go
  OK(madvise(p, PAGE, MADV_DOFORK));
  g_fork_area = p;
  EXPECT_EXIT(child_status(read_area), 7);
  OK(madvise(p, 2 * PAGE, MADV_WIPEONFORK));
  EXPECT_EXIT(child_status(read_area), 0);
  CHECK(p[0] == 7);
  OK(madvise(p, 2 * PAGE, MADV_KEEPONFORK));
  EXPECT_EXIT(child_status(read_area), 7);
  OK(munmap(p, 2 * PAGE));
}

static const struct ut_test tests[] = {
    UT(private_cow), UT(private_initramfs), UT(shared_visible), UT(shared_truncate_grow),
    UT(sigbus_past_eof), UT(fixed_over), UT(partial), UT(errors), UT(maps_file),
    UT(maps_exe), UT(auxv), UT(mremap_anon), UT(mremap_fixed), UT(mremap_file),
    UT(mremap_errors), UT(madvise_dontneed), UT(madvise_hints), UT(madvise_fork),
    UT(truncate_under_maps), UT(write_under_maps),
    UT_IF(cache_trim, "/tests/filemaptests"), // (in the guest: it fills memory)
};

static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests)};

int main(int argc, char **argv) {
  ut_setup(argv[0], "/tests/filemaptests");
  return ut_main(&suite, argc, argv);
}
