// Host tests for kernel/cpio.c. Archives are written in memory by a small writer here,
// and one is made by GNU cpio for an independent check of the format. Archive files
// given on the command line are walked as further cases (every entry must parse and
// the walk must end at the trailer).
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "types.h"
#include "errno.h"
#include "cpio.h"
#include "hosttest.h"

#define ARC_MAX 65536

struct arc {
  unsigned char buf[ARC_MAX];
  size_t n;
};

static void pad4(struct arc *a) {
  while (a->n % 4)
    a->buf[a->n++] = 0;
}

// Append one entry; namesize and filesize can be forced to lie (-1: the true value).
static void add_raw(struct arc *a, const char *magic, const char *name, uint32_t mode,
                    const void *data, size_t size, long namesize, long filesize) {
  char h[111];
  size_t nlen = strlen(name) + 1;
  snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic,
           (unsigned)a->n + 1, mode, 1000u, 100u, 1u, 0x5eed5eedu,
           filesize < 0 ? (unsigned)size : (unsigned)filesize, 0u, 0u, 0u, 0u,
           namesize < 0 ? (unsigned)nlen : (unsigned)namesize, 0u);
  memcpy(a->buf + a->n, h, 110);
  a->n += 110;
  memcpy(a->buf + a->n, name, nlen);
  a->n += nlen;
  pad4(a);
  memcpy(a->buf + a->n, data, size);
  a->n += size;
  pad4(a);
}

static void add(struct arc *a, const char *name, uint32_t mode, const char *data) {
  add_raw(a, "070701", name, mode, data, strlen(data), -1, -1);
}

static void trailer(struct arc *a) { add(a, "TRAILER!!!", 0, ""); }

// cpio_next on a heap copy of exactly a->buf[0..n), so ASan catches over-reads.
static int next_n(const struct arc *a, size_t n, size_t *pos, struct cpio_entry *e) {
  unsigned char *copy = malloc(n ? n : 1);
  memcpy(copy, a->buf, n);
  int rc = cpio_next(copy, n, pos, e);
  free(copy);
  return rc; // e->name and e->data dangle now: callers only look at numbers
}

static bool name_is(const struct cpio_entry *e, const char *s) {
  return e->namelen == strlen(s) && memcmp(e->name, s, e->namelen) == 0;
}

static bool data_is(const struct cpio_entry *e, const char *s) {
  return e->size == strlen(s) && memcmp(e->data, s, e->size) == 0;
}

static struct arc A; // one archive at a time; large, so not on the stack

static void empty_buffer(void) {
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next("", 0, &pos, &e), 0);
}

static void one_file(void) {
  A.n = 0;
  add(&A, "bin/hello", 0100755, "hello, world\n");
  trailer(&A);
  size_t pos = 0;
  struct cpio_entry e;
  if (!EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1))
    return;
  EXPECT(name_is(&e, "bin/hello"));
  EXPECT(data_is(&e, "hello, world\n"));
  EXPECT_ALL(EQ(e.ino, 1), EQ(e.mode, 0100755), EQ(e.uid, 1000), EQ(e.gid, 100),
             EQ(e.nlink, 1), EQ(e.mtime, 0x5eed5eed));
  // 110 + 10 = 120 (aligned), 13 data bytes padded to 16.
  EXPECT_EQ(pos, 136);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
}

// Names of 1..9 bytes and data of 0..6 bytes cover every padding combination.
static void padding_combinations(void) {
  static const char names[] = "abcdefghi", datas[] = "0123456";
  A.n = 0;
  for (int nl = 1; nl <= 9; nl++)
    for (int dl = 0; dl <= 6; dl++) {
      char name[10], data[7];
      snprintf(name, sizeof(name), "%.*s", nl, names);
      snprintf(data, sizeof(data), "%.*s", dl, datas);
      add(&A, name, 0100644, data);
    }
  trailer(&A);
  size_t pos = 0;
  struct cpio_entry e;
  for (int nl = 1; nl <= 9; nl++)
    for (int dl = 0; dl <= 6; dl++) {
      int rc = cpio_next(A.buf, A.n, &pos, &e);
      if (rc != 1 || e.namelen != (size_t)nl || memcmp(e.name, names, nl) ||
          e.size != (size_t)dl || memcmp(e.data, datas, dl) || pos % 4) {
        FAILF("name length %d, data length %d: rc %d, pos %zu", nl, dl, rc, pos);
        return;
      }
    }
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
}

static void dir_and_symlink(void) {
  A.n = 0;
  add(&A, "etc", 040755, "");
  add(&A, "bin/sh", 0120777, "busybox");
  trailer(&A);
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT(name_is(&e, "etc"));
  EXPECT_EQ(e.mode, 040755);
  EXPECT_EQ(e.size, 0);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT(name_is(&e, "bin/sh"));
  EXPECT(data_is(&e, "busybox"));
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
}

static void crc_magic_accepted(void) {
  A.n = 0;
  add_raw(&A, "070702", "f", 0100644, "xyz", 3, -1, -1);
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT(data_is(&e, "xyz"));
}

static void other_magic_rejected(void) {
  const char *bad[] = {"070707", "070700", "070703", "170701", "07070 "};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    A.n = 0;
    add_raw(&A, bad[i], "f", 0100644, "xyz", 3, -1, -1);
    size_t pos = 0;
    struct cpio_entry e;
    int rc = cpio_next(A.buf, A.n, &pos, &e);
    if (rc != -EINVAL)
      FAILF("magic \"%s\": got %d", bad[i], rc);
  }
}

static void hex_case_insensitive(void) {
  A.n = 0;
  add(&A, "f", 0100644, "");
  memcpy(A.buf + 6 + 8, "000081a4", 8); // mode field, lower case
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT_EQ(e.mode, 0100644);
}

// A non-hex character anywhere in any of the 13 fields is an error.
static void bad_hex_every_position(void) {
  const char junk[] = {'g', 'G', ' ', '-', '+', 'x', '\0', ':', '@'};
  for (int off = 6; off < 110; off++)
    for (size_t j = 0; j < sizeof(junk); j++) {
      A.n = 0;
      add(&A, "name", 0100644, "data");
      A.buf[off] = junk[j];
      size_t pos = 0;
      struct cpio_entry e;
      int rc = next_n(&A, A.n, &pos, &e);
      if (rc != -EINVAL || pos != 0) {
        FAILF("byte %d = %#x: got %d, pos %zu", off, junk[j], rc, pos);
        return;
      }
    }
}

static void bad_name_fields(void) {
  struct cpio_entry e;
  size_t pos;
  long bad_namesizes[] = {0, 4, 6, 0xffffffff}; // name "name" has namesize 5
  for (size_t i = 0; i < ARRAY_SIZE(bad_namesizes); i++) {
    A.n = 0;
    add_raw(&A, "070701", "name", 0100644, "data", 4, bad_namesizes[i], -1);
    pos = 0;
    int rc = next_n(&A, A.n, &pos, &e);
    if (rc != -EINVAL)
      FAILF("namesize %#lx: got %d", bad_namesizes[i], rc);
  }
  A.n = 0;
  add(&A, "na\x01me", 0100644, "data");
  A.buf[112] = '\0'; // an embedded NUL: the name is not what namesize says
  pos = 0;
  EXPECT_EQ(next_n(&A, A.n, &pos, &e), -EINVAL);
}

static void bad_filesize(void) {
  long sizes[] = {5, 9, 0x7fffffff, 0xffffffff};
  for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
    A.n = 0;
    add_raw(&A, "070701", "name", 0100644, "data", 4, -1, sizes[i]);
    size_t pos = 0;
    struct cpio_entry e;
    int rc = next_n(&A, A.n, &pos, &e);
    if (rc != -EINVAL)
      FAILF("filesize %#lx in a 4-byte archive body: got %d", sizes[i], rc);
  }
}

static void end_without_trailer(void) {
  A.n = 0;
  add(&A, "a", 0100644, "1");
  add(&A, "b", 0100644, "22");
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT_EQ(pos, A.n);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
}

static void missing_final_padding(void) {
  A.n = 0;
  add(&A, "a", 0100644, "1"); // 1 data byte, then 3 of padding
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(next_n(&A, A.n - 3, &pos, &e), -EINVAL);
}

static void stops_at_trailer(void) {
  A.n = 0;
  trailer(&A);
  add(&A, "after", 0100644, "x");
  size_t pos = 0;
  struct cpio_entry e;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
  // Names that merely start like the trailer are ordinary entries.
  A.n = 0;
  add(&A, "TRAILER!!!x", 0100644, "");
  add(&A, "TRAILER!!", 0100644, "");
  pos = 0;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 1);
}

static void bad_positions(void) {
  A.n = 0;
  add(&A, "a", 0100644, "1");
  struct cpio_entry e;
  size_t pos = 2;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), -EINVAL);
  pos = A.n + 4;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), -EINVAL);
  pos = SIZE_MAX & ~(size_t)3;
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), -EINVAL);
  // A well-formed header at an offset that is not 4-aligned is still misplaced:
  // newc padding is measured from the start of the archive.
  memmove(A.buf + 2, A.buf, A.n);
  memset(A.buf + A.n + 2, 0, 2); // room for the shifted entry's padding
  pos = 2;
  EXPECT_EQ(cpio_next(A.buf, A.n + 4, &pos, &e), -EINVAL);
}

// Walk a prefix of the archive: the number of entries read, or -1 on an error.
static int walk_prefix(size_t n, int *last_rc) {
  size_t pos = 0;
  struct cpio_entry e;
  int count = 0, rc;
  while ((rc = next_n(&A, n, &pos, &e)) == 1)
    count++;
  *last_rc = rc;
  return count;
}

// Every prefix of a 3-entry archive: a clean 0 only where the cut falls on an entry
// boundary or after the trailer's name; -EINVAL anywhere else.
static void truncated_every_length(void) {
  size_t bound[4];
  A.n = 0;
  add(&A, "first", 0100644, "abc");
  bound[0] = A.n;
  add(&A, "dir", 040755, "");
  bound[1] = A.n;
  add(&A, "second-file", 0100600, "0123456789");
  bound[2] = A.n;
  trailer(&A);
  bound[3] = bound[2] + 110 + 11; // the trailer counts once its name is complete
  for (size_t n = 0; n <= A.n; n++) {
    int rc, count = walk_prefix(n, &rc);
    int entries = (n >= bound[0]) + (n >= bound[1]) + (n >= bound[2]);
    bool clean = n == 0 || n == bound[0] || n == bound[1] || n >= bound[2];
    if (n > bound[2] && n < bound[3])
      clean = false;
    if (count != entries || rc != (clean ? 0 : -EINVAL)) {
      FAILF("length %zu: %d entries then %d, want %d then %d", n, count, rc, entries,
            clean ? 0 : -EINVAL);
      return;
    }
  }
}

// Write a tree to a temp dir, archive it with GNU cpio, and read every entry back.
static void gnu_cpio_archive(void) {
  char dir[] = "/tmp/test_cpio.XXXXXX", cmd[512];
  if (!mkdtemp(dir)) {
    FAILF("mkdtemp failed");
    return;
  }
  snprintf(cmd, sizeof(cmd),
           "cd %s && mkdir -p t/sub && printf '' > t/e && printf 1 > t/a && "
           "printf 12345 > t/sub/odd-name && ln -s sub/odd-name t/link && "
           "find t | LC_ALL=C sort | cpio -o -H newc --quiet > arc.cpio",
           dir);
  if (system(cmd) != 0) {
    FAILF("could not run GNU cpio (`%s`)", cmd);
    return;
  }
  snprintf(cmd, sizeof(cmd), "%s/arc.cpio", dir);
  FILE *f = fopen(cmd, "rb");
  A.n = f ? fread(A.buf, 1, sizeof(A.buf), f) : 0;
  if (f)
    fclose(f);
  const char *names[] = {"t", "t/a", "t/e", "t/link", "t/sub", "t/sub/odd-name"};
  const char *datas[] = {"", "1", "", "sub/odd-name", "", "12345"};
  size_t pos = 0;
  struct cpio_entry e;
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (cpio_next(A.buf, A.n, &pos, &e) != 1 || !name_is(&e, names[i]) ||
        !data_is(&e, datas[i]))
      FAILF("entry %zu (%s) did not read back", i, names[i]);
  EXPECT_EQ(cpio_next(A.buf, A.n, &pos, &e), 0);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  EXPECT_EQ(system(cmd), 0);
}

// An archive from the command line (e.g. build/initramfs.cpio) walks to its trailer.
static void archive_file(void) {
  FILE *f = fopen(ht_file, "rb");
  if (!EXPECT(f != NULL))
    return;
  struct stat st;
  fstat(fileno(f), &st);
  unsigned char *buf = malloc(st.st_size ? st.st_size : 1);
  size_t n = fread(buf, 1, st.st_size, f), pos = 0;
  fclose(f);
  struct cpio_entry e;
  int rc, count = 0;
  while ((rc = cpio_next(buf, n, &pos, &e)) == 1)
    count++;
  EXPECT_EQ(rc, 0);
  EXPECT(count > 0);
  // Stopped at the trailer, not at the end of the buffer.
  EXPECT(pos + 121 <= n && memcmp(buf + pos + 110, "TRAILER!!!", 11) == 0);
  free(buf);
}

static const struct ht_case cases[] = {
    HT(empty_buffer), HT(one_file), HT(padding_combinations), HT(dir_and_symlink),
    HT(crc_magic_accepted), HT(other_magic_rejected), HT(hex_case_insensitive),
    HT(bad_hex_every_position), HT(bad_name_fields), HT(bad_filesize),
    HT(end_without_trailer), HT(missing_final_padding), HT(stops_at_trailer),
    HT(bad_positions), HT(truncated_every_length), HT(gnu_cpio_archive),
};

int main(int argc, char **argv) { return HT_MAIN(cases, argc, argv, archive_file); }
