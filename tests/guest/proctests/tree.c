// proctests, the tree: directories, links and text files.
#include "proctests.h"

static bool dir_has(const char *path, const char *name) {
  DIR *d = opendir(path);
  if (!d)
    fail_at(__LINE__, "opendir %s: errno %d", path, errno);
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(d)))
    found = strcmp(e->d_name, name) == 0;
  closedir(d);
  return found;
}

static void t_tree_listing(void) {
  char me[16], pidpath[32];
  snprintf(me, sizeof me, "%d", getpid());
  static const char *const root[] = {"self", "meminfo", "uptime", "loadavg", "stat"};
  for (size_t i = 0; i < sizeof root / sizeof root[0]; i++) {
    ctx("[%s]", root[i]);
    CHECK(dir_has("/proc", root[i]));
  }
  ctx("%s", "");
  CHECK(dir_has("/proc", me));
  CHECK(dir_has("proc:", me));
  CHECK(dir_has("/scheme/proc", me));
  static const char *const per_pid[] = {"status", "stat", "cmdline", "exe", "maps",
                                        "mem", "trace", "sysfilter", "regs"};
  snprintf(pidpath, sizeof pidpath, "/proc/%s", me);
  for (size_t i = 0; i < sizeof per_pid / sizeof per_pid[0]; i++) {
    ctx("[%s]", per_pid[i]);
    CHECK(dir_has(pidpath, per_pid[i]));
  }
  snprintf(pidpath, sizeof pidpath, "/proc/%s/regs", me);
  CHECK(dir_has(pidpath, "int") && dir_has(pidpath, "float") && dir_has(pidpath, "debug"));
  ctx("%s", "");
  struct kid k;
  kid_start(&k, kid_read_exit);
  char kp[16];
  snprintf(kp, sizeof kp, "%ld", k.pid);
  CHECK(dir_has("/proc", kp));
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
  CHECK(!dir_has("/proc", kp)); // reaped: gone
  EXPECT_ERR(open(ppath(k.pid, "status"), O_RDONLY), ENOENT);
}

static void t_self_exe_cmdline(void) {
  char b[4096], me[16];
  snprintf(me, sizeof me, "%d", getpid());
  long n = OK(readlink("/proc/self", b, sizeof b));
  CHECK(n == (long)strlen(me) && memcmp(b, me, n) == 0);
  n = OK(readlink("/proc/self/exe", b, sizeof b));
  CHECK(n == (long)strlen(g_self) && memcmp(b, g_self, n) == 0);
  int fd = OK(open("/proc/self/exe", O_RDONLY)); // opens the program itself
  struct stat a, c;
  OK(fstat(fd, &a));
  OK(stat(g_self, &c));
  CHECK_EQ(a.st_size, c.st_size);
  CHECK(read(fd, b, 4) == 4 && memcmp(b, ELFMAG, 4) == 0);
  close(fd);
  CHECK(strcmp(status_field(getpid(), "Pid"), me) == 0);
  CHECK_EQ(atol(status_field(getpid(), "PPid")), getppid());
  CHECK(strcmp(status_field(getpid(), "Name"), "proctests") == 0);
  CHECK_EQ(status_field(getpid(), "State")[0], 'R');
  char want[4096];
  size_t len = 0;
  for (int i = 0; i < g_argc; i++) {
    size_t l = strlen(g_argv[i]) + 1;
    memcpy(want + len, g_argv[i], l);
    len += l;
  }
  fd = OK(open("/proc/self/cmdline", O_RDONLY));
  n = OK(read(fd, b, sizeof b));
  CHECK_EQ(n, len);
  CHECK(memcmp(b, want, len) == 0);
  close(fd);
}

// stat: "PID (name) state PPID ..."; status of another user: its uids.
static void t_stat_and_status(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S"));
  char b[1024], name[64], st;
  int fd = POPEN(k.pid, "stat", O_RDONLY);
  long n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  int pid, ppid;
  CHECK(sscanf(b, "%d (%63[^)]) %c %d", &pid, name, &st, &ppid) == 4);
  CHECK_EQ(pid, k.pid);
  CHECK(strcmp(name, "proctests") == 0);
  CHECK_EQ(st, 'S');
  CHECK_EQ(ppid, getpid());
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
  long u = xfork();
  if (u == 0) {
    become(1000);
    CHECK(strcmp(status_field(getpid(), "Uid"), "1000\t1000\t1000\t1000") == 0);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

// A zombie (exited, not yet reaped) is still listed, and a stat or status opened on it
// then shows state Z (as Linux, for ps): it did not exit "since the handle was opened".
// Its fd/ entries are gone (the kernel once faulted opening one).
static void t_zombie_stat(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  kid_send(&k, 0);
  char c, b[512];
  CHECK_EQ(read(k.res, &c, 1), 0); // exited: it is a zombie when we run again
  snprintf(b, sizeof b, "%ld", k.pid);
  CHECK(dir_has("/proc", b));
  int fd = POPEN(k.pid, "stat", O_RDONLY);
  errno = 0;
  long n = read(fd, b, sizeof b - 1);
  if (n <= 0)
    fail_at(__LINE__, "stat of a zombie: read gave %ld, errno %d", n, errno);
  b[n] = 0;
  close(fd);
  int pid;
  char state;
  CHECK(sscanf(b, "%d (%*[^)]) %c", &pid, &state) == 2);
  CHECK_EQ(pid, k.pid);
  CHECK_EQ(state, 'Z');
  CHECK_EQ(status_field(k.pid, "State")[0], 'Z');
  // Its descriptors are gone with it: fd/N and fdinfo/N name nothing (as Linux).
  const char *fdfiles[] = {"fd/0", "fdinfo/0", "fd/1"};
  for (size_t i = 0; i < sizeof fdfiles / sizeof *fdfiles; i++) {
    snprintf(b, sizeof b, "/proc/%ld/%s", k.pid, fdfiles[i]);
    errno = 0;
    CHECK_EQ(open(b, O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);
    char l[64];
    CHECK_EQ(readlink(b, l, sizeof l), -1);
    CHECK_EQ(errno, ENOENT);
  }
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// maps: Linux's format; the text (r-x, with the program's path), an anonymous mapping
// we make (rw-), and the stack.
static bool maps_has(uint64_t addr, const char *perms, const char *name) {
  static char b[16384];
  int fd = POPEN(getpid(), "maps", O_RDONLY);
  long n = OK(read(fd, b, sizeof b - 1));
  close(fd);
  b[n] = 0;
  for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long lo, hi;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) != 3)
      fail_at(__LINE__, "maps line '%s'", line);
    if (addr >= lo && addr < hi)
      return strncmp(p, perms, 4) == 0 && (!name || strstr(line, name));
  }
  return false;
}

static void t_maps(void) {
  CHECK(maps_has((uint64_t)main_addr(), "r-xp", g_self));
  void *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  CHECK(maps_has((uint64_t)m + PAGE, "rw-p", NULL));
  int local;
  CHECK(maps_has((uint64_t)&local, "rw-p", "[stack]"));
  OK(munmap(m, 2 * PAGE));
  CHECK(!maps_has((uint64_t)m, "rw-p", NULL));
}

static void t_system_files(void) {
  char b[4096];
  int fd = OK(open("/proc/meminfo", O_RDONLY));
  long n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  unsigned long total, free_;
  CHECK(sscanf(b, "MemTotal: %lu kB\nMemFree: %lu kB", &total, &free_) == 2);
  CHECK(total > 0 && free_ <= total);
  fd = OK(open("/proc/uptime", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  double up, idle;
  CHECK(sscanf(b, "%lf %lf", &up, &idle) == 2 && up >= 0 && idle >= 0);
  fd = OK(open("/proc/loadavg", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  double l1, l5, l15;
  int running, total_p, last;
  CHECK(sscanf(b, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total_p, &last) == 6);
  CHECK(total_p >= 2);
  fd = OK(open("/proc/stat", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  CHECK(strncmp(b, "cpu ", 4) == 0 && strstr(b, "\nprocesses "));
}

const struct ut_test tree_tests[] = {
    UT(tree_listing), UT(self_exe_cmdline), UT(stat_and_status), UT(zombie_stat),
    UT(maps), UT(system_files)
};
const size_t tree_ntests = UT_NTESTS(tree_tests);
