// proctests, memory: proc:PID/mem.
#include "proctests.h"

static unsigned char *g_region; // two mapped pages, then an unmapped one

static void make_region(void) {
  g_region = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g_region != MAP_FAILED);
  OK(munmap(g_region + 2 * PAGE, PAGE));
  pattern(g_region, 2 * PAGE, 9);
}

// On command: report the 32 bytes around the region's page boundary, and g_hi.
static void kid_mem(void) {
  if (kid_get() < 0)
    _exit(99);
  kid_put(g_region + PAGE - 16, 32);
  kid_put(g_hi, 4);
  _exit(0);
}

static void t_mem_unaligned(void) {
  make_region();
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  static unsigned char buf[2 * PAGE];
  const uint64_t offs[] = {0, 1, 3, 7, 4093, 4095, 4096 - 13, 4097, 8190};
  const size_t lens[] = {1, 2, 3, 7, 13, 64, 4099};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
    for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
      if (offs[i] + lens[j] > 2 * PAGE)
        continue;
      ctx("[read %zu at +%lu]", lens[j], (unsigned long)offs[i]);
      uint64_t at = (uint64_t)g_region + offs[i];
      CHECK_EQ(mem_pread(mem, buf, lens[j], at), lens[j]);
      CHECK(memcmp(buf, g_region + offs[i], lens[j]) == 0);
    }
  ctx("%s", "");
  OK(lseek(mem, (off_t)(g_region + 4095), SEEK_SET)); // read(2) at the file offset
  CHECK_EQ(read(mem, buf, 3), 3);
  CHECK(memcmp(buf, g_region + 4095, 3) == 0);
  CHECK_EQ(read(mem, buf, 2), 2); // the offset moved on
  CHECK(memcmp(buf, g_region + 4098, 2) == 0);
  const char patch[] = "ABCDEFGHIJKLM";
  CHECK_EQ(mem_pwrite(mem, patch, 13, (uint64_t)g_region + PAGE - 5), 13);
  CHECK_EQ(mem_pread(mem, buf, 13, (uint64_t)g_region + PAGE - 5), 13);
  CHECK(memcmp(buf, patch, 13) == 0);
  unsigned char mine[32];
  pattern(buf, 2 * PAGE, 9);
  CHECK(memcmp(g_region + PAGE - 16, buf + PAGE - 16, 32) == 0); // our copy untouched
  memcpy(mine, buf + PAGE - 16, 32);
  memcpy(mine + 11, patch, 13);
  TSET(tfd, 0);
  kid_send(&k, 1);
  unsigned char theirs[36];
  kid_recv(&k, theirs, sizeof theirs);
  CHECK(memcmp(theirs, mine, 32) == 0); // the program sees the tracer's bytes
  KID_END(&k, tfd, 0);
}

static void t_mem_edges(void) {
  make_region();
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  unsigned char buf[64];
  uint64_t end = (uint64_t)g_region + 2 * PAGE;
  EXPECT_ERR(mem_pread(mem, buf, 8, end), EIO);     // starts unmapped
  EXPECT_ERR(mem_pwrite(mem, buf, 8, end), EIO);
  CHECK_EQ(mem_pread(mem, buf, 20, end - 5), 5);     // runs into the hole
  CHECK(memcmp(buf, g_region + 2 * PAGE - 5, 5) == 0);
  CHECK_EQ(mem_pwrite(mem, "0123456789", 10, end - 2), 2);
  CHECK_EQ(mem_pread(mem, buf, 0, (uint64_t)g_region), 0);
  const uint64_t never[] = {0, 0x1000, 0x800000000000, 0x8000000000000000, 0xffff800000000000,
                            0xffffffff80000000, 0xffffffff80100000, 0xffffffffffff0000,
                            0x7ffffffff000};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
    ctx("[address %#lx]", (unsigned long)never[i]);
    EXPECT_ERR(mem_pread(mem, buf, 8, never[i]), EIO);
    EXPECT_ERR(mem_pwrite(mem, buf, 8, never[i]), EIO);
  }
  ctx("%s", "");
  // The top of the stack: a read running to the end of the user half stops there.
  CHECK_EQ(mem_pread(mem, buf, 16, 0x7ffffffff000 - 4), 4);
  // Across a kernel-half boundary going the other way round (an offset that wraps).
  EXPECT_ERR(mem_pread(mem, buf, 64, 0xffffffffffffffe0), EIO);
  finish_read_exit(&k, tfd, 0);
}

// Large transfers (past the kernel's bounce buffer) in one call, whole and running into
// the hole after a mapping.
#define BIG_PAGES 16
static unsigned char *g_big; // BIG_PAGES mapped pages, then an unmapped one

// On command: report a checksum of the big mapping.
static uint64_t checksum(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603UL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211UL;
  return h;
}
static void kid_big(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t h = checksum(g_big, BIG_PAGES * PAGE);
  kid_put(&h, sizeof h);
  _exit(0);
}

static void t_mem_large(void) {
  size_t size = BIG_PAGES * PAGE;
  g_big = mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g_big != MAP_FAILED);
  OK(munmap(g_big + size, PAGE));
  pattern(g_big, size, 5);
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_big);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  static unsigned char buf[BIG_PAGES * PAGE + 8192];
  CHECK_EQ(mem_pread(mem, buf, size, (uint64_t)g_big), size);
  CHECK(memcmp(buf, g_big, size) == 0);
  CHECK_EQ(mem_pread(mem, buf, 40000, (uint64_t)g_big + size - 20001), 20001);
  CHECK(memcmp(buf, g_big + size - 20001, 20001) == 0);
  pattern(buf, size, 6);
  CHECK_EQ(mem_pwrite(mem, buf + 3, size - 3 + 5000, (uint64_t)g_big + 3), size - 3);
  unsigned char want[BIG_PAGES * PAGE];
  memcpy(want, g_big, 3);
  memcpy(want + 3, buf + 3, size - 3);
  TSET(tfd, 0);
  kid_send(&k, 1);
  uint64_t h;
  kid_recv(&k, &h, sizeof h);
  CHECK_EQ(h, checksum(want, size));
  KID_END(&k, tfd, 0);
}

// Writing read-only text (and rodata) changes only the target's copy: not ours, not a
// sibling's, not a freshly started process's, not the file's (FreeBSD SA-13:06, Dirty
// COW).
static void peek_fresh(uint64_t addr, unsigned char *out, size_t n) {
  int p[2];
  OK(pipe(p));
  long x = xfork();
  if (x == 0) {
    dup2(p[1], 1);
    char a[32], len[16];
    snprintf(a, sizeof a, "%#lx", (unsigned long)addr);
    snprintf(len, sizeof len, "%zu", n);
    char *argv[] = {"proctests", "--peek", a, len, NULL};
    execve(g_self, argv, NULL);
    _exit(98);
  }
  close(p[1]);
  char hex[256] = {0};
  size_t got = 0;
  long r;
  while (got < sizeof hex - 1 && (r = read(p[0], hex + got, sizeof hex - 1 - got)) > 0)
    got += r;
  close(p[0]);
  EXPECT_EXIT(wait_for(x), 0);
  CHECK_EQ(got, 2 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
    out[i] = v;
  }
}

static void t_mem_text_private(void) {
  make_region();
  uint64_t fn = (uint64_t)never_called;
  unsigned char orig[16], junk[16], b[16];
  memcpy(orig, (void *)fn, 16);
  for (int i = 0; i < 16; i++)
    junk[i] = orig[i] ^ 0xa5;
  struct kid k, sib;
  kid_start(&sib, kid_read_exit);
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  CHECK_EQ(mem_pwrite(mem, junk, 16, fn), 16);
  CHECK_EQ(mem_pwrite(mem, "HEY", 3, (uint64_t)g_hi), 3);
  CHECK_EQ(mem_pread(mem, b, 16, fn), 16);
  CHECK(memcmp(b, junk, 16) == 0);
  CHECK(memcmp((void *)fn, orig, 16) == 0); // ours
  CHECK(memcmp(g_hi, "hi!", 4) == 0);
  int smem = POPEN(sib.pid, "mem", O_RDONLY); // a sibling's
  CHECK_EQ(mem_pread(smem, b, 16, fn), 16);
  CHECK(memcmp(b, orig, 16) == 0);
  peek_fresh(fn, b, 16); // a process started after the write
  CHECK(memcmp(b, orig, 16) == 0);
  int self = OK(open(g_self, O_RDONLY)); // the file
  CHECK_EQ(pread(self, b, 16, file_offset_of(g_self, fn)), 16);
  CHECK(memcmp(b, orig, 16) == 0);
  TSET(tfd, 0);
  kid_send(&k, 1);
  unsigned char theirs[36];
  kid_recv(&k, theirs, sizeof theirs);
  CHECK(memcmp(theirs + 32, "HEY", 4) == 0); // the target reads its own patched rodata
  KID_END(&k, tfd, 0);
  kid_send(&sib, 0);
  EXPECT_EXIT(wait_for(sib.pid), 0);
}

// A tracer writes where the target may not (text), but not into a file's shared
// pages the target could never write: that would change the file (EIO, as Linux). A
// private mapping of the same file takes the write as the target's own copy.
static void t_mem_file_shared(void) {
  static const char path[] = "/tmp/mem-file-shared";
  int fd = OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
  CHECK_EQ(OK(write(fd, "file", 4)), 4);
  int ro = OK(open(path, O_RDONLY));
  char *shared = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  char *priv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
  CHECK(shared != MAP_FAILED && priv != MAP_FAILED);
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit); // it has both mappings (fork)
  int mem = POPEN(k.pid, "mem", O_RDWR);
  EXPECT_ERR(mem_pwrite(mem, "XXXX", 4, (uint64_t)shared), EIO);
  CHECK_EQ(mem_pwrite(mem, "PRIV", 4, (uint64_t)priv), 4);
  char b[4];
  CHECK_EQ(mem_pread(mem, b, 4, (uint64_t)priv), 4);
  CHECK(memcmp(b, "PRIV", 4) == 0);
  CHECK_EQ(OK(pread(fd, b, 4, 0)), 4);
  CHECK(memcmp(b, "file", 4) == 0);
  CHECK(memcmp(shared, "file", 4) == 0 && memcmp(priv, "file", 4) == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
  OK(unlink(path));
}

const struct ut_test mem_tests[] = {
    UT(mem_unaligned), UT(mem_edges), UT(mem_large), UT(mem_text_private),
    UT(mem_file_shared)
};
const size_t mem_ntests = UT_NTESTS(mem_tests);
