// linuxtests: the files and answers Linux programs read to learn about the system and
// themselves (issue 16): /dev/shm (POSIX shared memory and named semaphores),
// /proc/PID/fd and fdinfo, /proc/sys/kernel, /proc/version, the fields of status,
// shared mappings in maps, statfs block counts and uname.
//
// Every check holds on Linux too: built with musl-gcc -static, the suite runs natively
// on the host (as root: build/guest/linuxtests). The expectations come from proc(5),
// statfs(2), uname(2), shm_overview(7) and sem_overview(7).
#define _GNU_SOURCE
#include "utest.h"
#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

// The whole of a small file, NUL-terminated (at most n-1 bytes).
static size_t slurp(const char *path, char *b, size_t n) {
  int fd = OK(open(path, O_RDONLY));
  size_t len = 0;
  long r;
  while (len < n - 1 && (r = OK(read(fd, b + len, n - 1 - len))) > 0)
    len += r;
  b[len] = 0;
  close(fd);
  return len;
}

// readlink into b, NUL-terminated.
static void link_of(const char *path, char *b, size_t n) {
  long r = OK(readlink(path, b, n - 1));
  b[r] = 0;
}

static void fd_path(char *b, size_t n, const char *dir, int fd) {
  snprintf(b, n, "/proc/self/%s/%d", dir, fd);
}

// ---- /proc/PID/fd ----
// Each descriptor is a link named by its number to what it is open on: a file's path,
// pipe:[INODE] for a pipe, the device node for a device.
static void t_fd_links(void) {
  char p[64], b[256];
  int f = OK(open("/etc/passwd", O_RDONLY)), pfd[2], nul = OK(open("/dev/null", O_WRONLY));
  OK(pipe(pfd));
  fd_path(p, sizeof p, "fd", f);
  link_of(p, b, sizeof b);
  CHECK(strcmp(b, "/etc/passwd") == 0);
  fd_path(p, sizeof p, "fd", nul);
  link_of(p, b, sizeof b);
  CHECK(strcmp(b, "/dev/null") == 0);
  struct stat st;
  OK(fstat(pfd[0], &st));
  char want[64];
  snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
  fd_path(p, sizeof p, "fd", pfd[1]);
  link_of(p, b, sizeof b);
  CHECK(strcmp(b, want) == 0);
  // lstat: a link whose mode shows how the descriptor is open; stat: the file itself.
  fd_path(p, sizeof p, "fd", nul);
  OK(lstat(p, &st));
  CHECK(S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0300);
  fd_path(p, sizeof p, "fd", f);
  OK(lstat(p, &st));
  CHECK((st.st_mode & 0777) == 0500);
  struct stat a, b2;
  OK(stat(p, &a));
  OK(stat("/etc/passwd", &b2));
  CHECK(S_ISREG(a.st_mode) && a.st_ino == b2.st_ino && a.st_dev == b2.st_dev);
  // A descriptor that is not open is not there.
  close(f);
  EXPECT_ERR(readlink(p, b, sizeof b), ENOENT);
  EXPECT_ERR(lstat(p, &st), ENOENT);
  EXPECT_ERR(open("/proc/self/fd/999999", O_RDONLY), ENOENT);
}

// The directory lists exactly the open descriptors.
static void t_fd_dir(void) {
  int f = OK(open("/etc/passwd", O_RDONLY));
  OK(dup2(f, 77));
  DIR *d = opendir("/proc/self/fd");
  CHECK(d);
  int seen = 0, dfd = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    int n = atoi(e->d_name);
    CHECK(e->d_type == DT_LNK || e->d_type == DT_UNKNOWN);
    CHECK(fcntl(n, F_GETFD) >= 0); // every entry is an open descriptor
    seen |= (n == f) | (n == 77) << 1 | (n == dfd) << 2;
  }
  closedir(d);
  CHECK_EQ(seen, 7);
}

// A zombie has no descriptors: its fd/ and fdinfo/ entries are gone (ENOENT), its
// fd/ directory lists none.
static void t_fd_zombie(void) {
  long pid = xfork();
  if (pid == 0)
    _exit(0);
  char path[64];
  siginfo_t si;
  OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT)); // a zombie now, not reaped
  snprintf(path, sizeof path, "/proc/%ld/fd/0", pid);
  EXPECT_ERR(open(path, O_RDONLY), ENOENT);
  struct stat st;
  EXPECT_ERR(stat(path, &st), ENOENT);
  char buf[64];
  EXPECT_ERR(readlink(path, buf, sizeof buf), ENOENT);
  snprintf(path, sizeof path, "/proc/%ld/fdinfo/0", pid);
  EXPECT_ERR(open(path, O_RDONLY), ENOENT);
  snprintf(path, sizeof path, "/proc/%ld/fd", pid);
  DIR *d = opendir(path);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  CHECK_EQ(n, 0);
  EXPECT_EXIT(wait_for(pid), 0);
}

// Opening /proc/self/fd/N opens the same file anew: its own offset.
static void t_fd_reopen(void) {
  char p[64], b[8];
  int f = OK(open("/etc/passwd", O_RDONLY));
  OK(read(f, b, 5));
  fd_path(p, sizeof p, "fd", f);
  int g = OK(open(p, O_RDONLY));
  CHECK_EQ(lseek(g, 0, SEEK_CUR), 0);
  CHECK_EQ(lseek(f, 0, SEEK_CUR), 5);
  char c1[4], c2[4];
  OK(pread(f, c1, 4, 0));
  OK(read(g, c2, 4));
  CHECK(memcmp(c1, c2, 4) == 0);
  // A file removed while open still opens through its descriptor.
  int t = OK(open("/tmp/lt-reopen", O_CREAT | O_TRUNC | O_RDWR, 0600));
  OK(write(t, "abc", 3));
  OK(unlink("/tmp/lt-reopen"));
  fd_path(p, sizeof p, "fd", t);
  int u = OK(open(p, O_RDONLY));
  EXPECT_EQ(read(u, b, 8), 3);
  CHECK(memcmp(b, "abc", 3) == 0);
  link_of(p, b, sizeof b); // "... (deleted)": Linux keeps the old name, Vitrine not
  int nul = OK(open("/dev/null", O_WRONLY));
  fd_path(p, sizeof p, "fd", nul);
  int v = OK(open(p, O_WRONLY));
  EXPECT_EQ(write(v, "x", 1), 1);
}

// fdinfo: the offset and the open flags (octal, O_LARGEFILE as x86-64 Linux sets it on
// every open(2), O_CLOEXEC from the descriptor).
static void t_fdinfo(void) {
  char p[64], b[512], want[64];
  int f = OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC)), pfd[2];
  OK(read(f, b, 3));
  fd_path(p, sizeof p, "fdinfo", f);
  slurp(p, b, sizeof b);
  ctx("%s", b);
  CHECK(strncmp(b, "pos:\t3\nflags:\t02100000\n", 23) == 0);
  CHECK(strstr(b, "\nmnt_id:\t") && strstr(b, "\nino:\t"));
  struct stat st;
  OK(fstat(f, &st));
  snprintf(want, sizeof want, "\nino:\t%lu\n", (unsigned long)st.st_ino);
  CHECK(strstr(b, want));
  OK(pipe(pfd));
  fd_path(p, sizeof p, "fdinfo", pfd[1]);
  slurp(p, b, sizeof b);
  ctx("%s", b);
  CHECK(strncmp(b, "pos:\t0\nflags:\t01\n", 17) == 0);
  close(pfd[1]);
  EXPECT_ERR(open(p, O_RDONLY), ENOENT);
}

// Another user's descriptors are not for everyone to see (proc(5): ptrace access).
static void t_fd_other_user(void) {
  if (getuid() != 0)
    return;
  long pid = xfork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  long c = xfork();
  if (c == 0) {
    char p[64], b[64];
    OK(setresgid(1000, 1000, 1000));
    OK(setresuid(1000, 1000, 1000));
    snprintf(p, sizeof p, "/proc/%ld/fd/0", pid);
    EXPECT_ERR(readlink(p, b, sizeof b), EACCES);
    snprintf(p, sizeof p, "/proc/%ld/fd", pid);
    EXPECT_ERR(open(p, O_RDONLY | O_DIRECTORY), EACCES);
    struct stat st; // whether a descriptor is open is not told either
    snprintf(p, sizeof p, "/proc/%ld/fd/0", pid);
    EXPECT_ERR(lstat(p, &st), EACCES);
    snprintf(p, sizeof p, "/proc/%ld/fd/200", pid);
    EXPECT_ERR(lstat(p, &st), EACCES);
    snprintf(p, sizeof p, "/proc/%ld/fdinfo/200", pid);
    EXPECT_ERR(open(p, O_RDONLY), EACCES);
    _exit(0);
  }
  int st = wait_for(c);
  kill(pid, SIGKILL);
  wait_for(pid);
  EXPECT_EXIT(st, 0);
}

// ---- /proc/sys/kernel, /proc/version and uname ----
static void t_sys_kernel(void) {
  char b[256];
  struct utsname u;
  OK(uname(&u));
  slurp("/proc/sys/kernel/pid_max", b, sizeof b);
  CHECK(atoi(b) >= 301 && b[strlen(b) - 1] == '\n'); // the least Linux allows
  slurp("/proc/sys/kernel/tainted", b, sizeof b);
  CHECK(b[0] >= '0' && b[0] <= '9');
  slurp("/proc/sys/kernel/core_pattern", b, sizeof b);
  CHECK(strlen(b) > 1);
  slurp("/proc/sys/kernel/ostype", b, sizeof b);
  CHECK(strcmp(b, "Linux\n") == 0);
  slurp("/proc/sys/kernel/osrelease", b, sizeof b);
  CHECK(strncmp(b, u.release, strlen(u.release)) == 0 && b[strlen(u.release)] == '\n');
  slurp("/proc/version", b, sizeof b);
  char want[128];
  snprintf(want, sizeof want, "Linux version %s ", u.release);
  ctx("%s", b);
  CHECK(strncmp(b, want, strlen(want)) == 0);
  if (getuid() != 0) // (root may write it on Linux)
    EXPECT_ERR(open("/proc/sys/kernel/pid_max", O_WRONLY), EACCES);
}

// uname: Linux's sysname and a release of the form MAJOR.MINOR.PATCH..., as programs
// that gate features parse it.
static void t_uname_linux(void) {
  struct utsname u;
  OK(uname(&u));
  CHECK(strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0);
  int maj = 0, min = 0;
  CHECK(sscanf(u.release, "%d.%d.", &maj, &min) == 2 && (maj > 5 || (maj == 5 && min >= 18)));
  if (g_vitrine) // where Vitrine's own name is
    CHECK(strstr(u.version, "Vitrine"));
}

// ---- /proc/PID/status and maps ----
// The fields of Linux 6.1's status, each once, by name.
static void t_status_fields(void) {
  static const char *keys[] = {
      "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid",
      "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", "VmPeak", "VmSize", "VmLck",
      "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe",
      "VmLib", "VmPTE", "VmSwap", "HugetlbPages", "CoreDumping", "THP_enabled", "Threads",
      "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm", "CapEff",
      "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
      "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
      "Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches",
      "nonvoluntary_ctxt_switches"};
  static char b[8192];
  char k[64];
  slurp("/proc/self/status", b, sizeof b);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    snprintf(k, sizeof k, "\n%s:\t", keys[i]);
    ctx("%s", keys[i]);
    char *at = strstr(b, k);
    CHECK(at || strncmp(b, k + 1, strlen(k + 1)) == 0);
    CHECK(!at || !strstr(at + 1, k)); // once
  }
  g_ctx[0] = 0;
  // Sizes that must agree: the peaks at least the sizes now, nothing locked.
  long size = -1, peak = -1, rss = -1, hwm = -1, lck = -1;
  for (char *l = b; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    sscanf(l, "VmSize: %ld", &size), sscanf(l, "VmPeak: %ld", &peak);
    sscanf(l, "VmRSS: %ld", &rss), sscanf(l, "VmHWM: %ld", &hwm), sscanf(l, "VmLck: %ld", &lck);
  }
  CHECK(size > 0 && peak >= size && rss > 0 && hwm >= rss && lck == 0);
  if (getuid() == 0) // root has every capability
    CHECK(strstr(b, "\nCapEff:\t000001ff") || strstr(b, "\nCapEff:\t000003ff"));
}

// A shared mapping shows 's' in maps, a private one 'p'.
static void t_maps_shared(void) {
  char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED && p != MAP_FAILED);
  static char b[65536];
  char want[64];
  slurp("/proc/self/maps", b, sizeof b);
  snprintf(want, sizeof want, "%08lx-%08lx rw-s ", (unsigned long)s, (unsigned long)s + 8192);
  ctx("%s", want);
  CHECK(strstr(b, want));
  snprintf(want, sizeof want, "%08lx-%08lx r--p ", (unsigned long)p, (unsigned long)p + 4096);
  ctx("%s", want);
  CHECK(strstr(b, want));
}

// comm: the command name, the basename of the path exec was given (links not followed).
static void t_comm(void) {
  char b[64];
  slurp("/proc/self/comm", b, sizeof b);
  const char *base = strrchr(g_self, '/') ? strrchr(g_self, '/') + 1 : g_self;
  char want[32];
  snprintf(want, sizeof want, "%.15s\n", base);
  ctx("[%s]", b);
  CHECK(strcmp(b, want) == 0);
  int p[2];
  OK(pipe(p));
  long pid = xfork();
  if (pid == 0) { // /bin/cat is a link to busybox on Vitrine, coreutils' on the host
    dup2(p[1], 1);
    execl("/bin/cat", "cat", "/proc/self/comm", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  long n = OK(read(p[0], b, sizeof b - 1));
  b[n] = 0;
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(strcmp(b, "cat\n") == 0);
}

// exec of /proc/self/exe runs the program itself (busybox's shell runs its applets so).
static void t_exec_proc_self_exe(void) {
  int p[2];
  OK(pipe(p));
  long pid = xfork();
  if (pid == 0) {
    dup2(p[1], 1);
    execl("/proc/self/exe", "linuxtests", "-l", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  char b[4096];
  long n = 0, r;
  while (n < (long)sizeof b - 1 && (r = read(p[0], b + n, sizeof b - 1 - n)) > 0)
    n += r;
  b[n] = 0;
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(strstr(b, "exec_proc_self_exe")); // it listed its own tests
}

// ---- /dev/shm: POSIX shared memory objects and named semaphores ----
static void t_shm_open(void) {
  char name[64], b[8];
  snprintf(name, sizeof name, "/lt-shm-%d", getpid());
  int f = OK(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
  EXPECT_ERR(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
  OK(ftruncate(f, 4096));
  EXPECT_EQ(pwrite(f, "shm!", 4, 100), 4);
  int g = OK(shm_open(name, O_RDONLY, 0));
  EXPECT_EQ(pread(g, b, 4, 100), 4);
  CHECK(memcmp(b, "shm!", 4) == 0);
  struct stat st;
  OK(fstat(g, &st));
  CHECK(st.st_size == 4096 && (st.st_mode & 0777) == 0600);
  char path[80];
  snprintf(path, sizeof path, "/dev/shm%s", name); // where it lives
  OK(stat(path, &st));
  OK(shm_unlink(name));
  EXPECT_ERR(shm_open(name, O_RDWR, 0), ENOENT);
  EXPECT_ERR(shm_unlink(name), ENOENT);
  // /dev/shm is a tmpfs of its own: nothing is renamed from it to /tmp.
  struct statfs sf;
  OK(statfs("/dev/shm", &sf));
  CHECK_EQ(sf.f_type, 0x01021994);
  int h = OK(open("/dev/shm/lt-x", O_CREAT | O_RDWR, 0600));
  close(h);
  struct stat a, t;
  OK(stat("/dev/shm", &a));
  OK(stat("/tmp", &t));
  if (a.st_dev != t.st_dev)
    EXPECT_ERR(rename("/dev/shm/lt-x", "/tmp/lt-x"), EXDEV);
  OK(unlink("/dev/shm/lt-x"));
}

// sem_open makes /dev/shm/sem.NAME and maps it shared: a post in one process is seen
// by another.
static void t_sem_open(void) {
  char name[64];
  snprintf(name, sizeof name, "/lt-sem-%d", getpid());
  sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  CHECK(s != SEM_FAILED);
  long pid = xfork();
  if (pid == 0) {
    sem_t *c = sem_open(name, 0);
    if (c == SEM_FAILED || sem_post(c))
      _exit(1);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(sem_wait(s));
  int v = -1;
  OK(sem_getvalue(s, &v));
  CHECK_EQ(v, 0);
  OK(sem_unlink(name));
  EXPECT_ERR(sem_unlink(name), ENOENT);
}

// ---- CPU affinity (busybox taskset) ----
static void t_affinity(void) {
  cpu_set_t set, one;
  CPU_ZERO(&set);
  long n = OK(syscall(SYS_sched_getaffinity, 0, sizeof set, &set));
  CHECK(n >= 8 && n % 8 == 0 && CPU_COUNT(&set) >= 1);
  EXPECT_ERR(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
  EXPECT_ERR(syscall(SYS_sched_getaffinity, 0, 12, &set), EINVAL);
  EXPECT_ERR(syscall(SYS_sched_getaffinity, 0, sizeof set, NULL), EFAULT);
  EXPECT_ERR(syscall(SYS_sched_getaffinity, 999999, sizeof set, &set), ESRCH);
  EXPECT_ERR(syscall(SYS_sched_getaffinity, -1, sizeof set, &set), ESRCH);
  OK(sched_setaffinity(0, sizeof set, &set)); // what it has
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) {
      CPU_SET(c, &one);
      break;
    }
  OK(sched_setaffinity(getpid(), sizeof one, &one));
  CPU_ZERO(&one);
  EXPECT_ERR(sched_setaffinity(0, sizeof one, &one), EINVAL); // no CPU at all
  OK(sched_setaffinity(0, sizeof set, &set));
  if (getuid() == 0) { // another user's process: EPERM
    long c = xfork();
    if (c == 0) {
      OK(setresuid(1000, 1000, 1000));
      EXPECT_ERR(sched_setaffinity(1, sizeof set, &set), EPERM);
      OK(sched_getaffinity(1, sizeof set, &set)); // anyone may look
      _exit(0);
    }
    EXPECT_EXIT(wait_for(c), 0);
  }
}

// ---- names ----
// A colon in a file name is an ordinary character (Vitrine: where no scheme is called
// what comes before it).
static void t_colon_names(void) {
  OK(chdir("/tmp"));
  int f = OK(open("lt-a:b", O_CREAT | O_TRUNC | O_WRONLY, 0600));
  EXPECT_EQ(write(f, "x", 1), 1);
  close(f);
  struct stat st;
  OK(stat("/tmp/lt-a:b", &st));
  CHECK_EQ(st.st_size, 1);
  int d = OK(open("/tmp", O_RDONLY | O_DIRECTORY));
  OK(fstatat(d, "lt-a:b", &st, 0));
  OK(mkdirat(d, "lt-c:d", 0700));
  OK(rename("lt-a:b", "lt-c:d/e:f"));
  OK(stat("/tmp/lt-c:d/e:f", &st));
  OK(unlinkat(d, "lt-c:d/e:f", 0));
  OK(unlinkat(d, "lt-c:d", AT_REMOVEDIR));
  EXPECT_ERR(stat("lt-a:b", &st), ENOENT);
  char longname[80]; // however long the part before the colon
  memset(longname, 'a', sizeof longname);
  memcpy(longname + 60, ":b", 3);
  OK(close(OK(open(longname, O_CREAT | O_WRONLY, 0600))));
  OK(unlink(longname));
}

// ---- statfs ----
// Block counts that add up: what /tmp holds grows its used blocks; free never exceeds
// the total; / reports its size.
static void t_statfs_counts(void) {
  struct statfs a, b, r;
  struct statvfs v;
  OK(statfs("/tmp", &a));
  CHECK(a.f_blocks > 0 && a.f_bfree <= a.f_blocks && a.f_bavail <= a.f_bfree && a.f_bsize > 0);
  int f = OK(open("/tmp/lt-statfs", O_CREAT | O_TRUNC | O_RDWR, 0600));
  static char chunk[65536];
  memset(chunk, 7, sizeof chunk);
  for (int i = 0; i < 16; i++) // 1 MiB
    EXPECT_EQ(write(f, chunk, sizeof chunk), (long)sizeof chunk);
  OK(fsync(f));
  OK(statfs("/tmp", &b));
  long grew = (long)((b.f_blocks - b.f_bfree) - (a.f_blocks - a.f_bfree)) * (long)b.f_bsize;
  ctx("used grew by %ld bytes", grew);
  CHECK(grew >= (1 << 20) - 65536 && grew < (4 << 20)); // others may use memory too
  OK(statvfs("/tmp", &v));
  CHECK(v.f_blocks > 0 && v.f_bfree <= v.f_blocks && v.f_frsize > 0);
  close(f);
  OK(unlink("/tmp/lt-statfs"));
  OK(statfs("/", &r));
  CHECK(r.f_blocks > 0 && r.f_bfree <= r.f_blocks && r.f_bsize > 0);
}

#define NEED_FILE_MMAP "file mappings"
static const struct ut_test tests[] = {
    UT(fd_links), UT(fd_dir), UT(fd_zombie), UT(fd_reopen), UT(fdinfo), UT(fd_other_user),
    UT(sys_kernel), UT(uname_linux), UT(status_fields), UT(maps_shared),
    UT(shm_open), UT_IF(sem_open, NEED_FILE_MMAP), UT(statfs_counts), UT(colon_names), UT(comm), UT(affinity),
    UT(exec_proc_self_exe),
};

// sem_open maps its file in /dev/shm shared: that needs mmap of a file (issue 14's,
// ENODEV before it), which is checked here rather than assumed.
static const char *unmet(const char *needs) {
  if (strcmp(needs, NEED_FILE_MMAP) != 0)
    return ut_unmet_file(needs);
  int f = open("/dev/shm/lt-probe", O_CREAT | O_RDWR, 0600);
  void *m = f < 0 || ftruncate(f, 4096) ? MAP_FAILED
                                        : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
  unlink("/dev/shm/lt-probe");
  close(f);
  return m == MAP_FAILED ? "mmap of a file fails here" : NULL;
}

int main(int argc, char **argv) {
  ut_setup(argv[0], "/tests/linuxtests");
  static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests),
                                        .unmet = unmet};
  return ut_main(&suite, argc, argv);
}
