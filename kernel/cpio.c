// Reader for cpio "newc" (and "crc") archives. The archive is untrusted boot data, so
// every field is checked: strict hex, in-bounds name and data, padding included.
#include "types.h"
#include "cpio.h"
#include "errno.h"
#include "lib.h"
#include <vitrine/hex.h>

// Header: 6-byte magic, then 13 fields of 8 hex digits.
#define HDR_SIZE 110
#define NFIELDS 13

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR,
       F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK };

static const char TRAILER[] = "TRAILER!!!";


// Exactly 8 hex digits; no sign, spaces or "0x" (strtoul-style leniency would let a
// corrupt header through).
static int parse_hex8(const char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 8; i++) {
    int d = hex_digit((unsigned char)s[i]);
    if (d < 0)
      return -EINVAL;
    v = (v << 4) | (uint32_t)d;
  }
  *out = v;
  return 0;
}

static int parse_header(const char *h, uint32_t f[NFIELDS]) {
  if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
    return -EINVAL;
  for (int i = 0; i < NFIELDS; i++)
    if (parse_hex8(h + 6 + 8 * i, &f[i]) != 0)
      return -EINVAL;
  return 0;
}

// Offsets are relative to the archive start, which is where newc's 4-byte alignment
// is measured from. Returns the aligned offset, or 0 if it would pass size (the
// offsets aligned here are past a header, so never 0 themselves).
static size_t align4_within(size_t off, size_t size) {
  if (off > size || size - off < (-off & 3))
    return 0;
  return off + (-off & 3);
}

int cpio_next(const void *archive, size_t size, size_t *pos, struct cpio_entry *e) {
  const char *a = archive;
  size_t p = *pos;
  if (p == size)
    return 0;
  if (p > size || p % 4 != 0 || size - p < HDR_SIZE)
    return -EINVAL;
  uint32_t f[NFIELDS];
  if (parse_header(a + p, f) != 0)
    return -EINVAL;
  // The name includes its NUL: it must be there, and be the only one.
  size_t name_off = p + HDR_SIZE, namesize = f[F_NAMESIZE];
  if (namesize == 0 || namesize > size - name_off)
    return -EINVAL;
  const char *name = a + name_off;
  if (strnlen(name, namesize) != namesize - 1)
    return -EINVAL;
  if (namesize == sizeof(TRAILER) && memcmp(name, TRAILER, namesize) == 0)
    return 0;
  size_t data_off = align4_within(name_off + namesize, size);
  if (data_off == 0 || f[F_FILESIZE] > size - data_off)
    return -EINVAL;
  size_t next = align4_within(data_off + f[F_FILESIZE], size);
  if (next == 0)
    return -EINVAL;
  e->name = name;
  e->namelen = namesize - 1;
  e->ino = f[F_INO];
  e->mode = f[F_MODE];
  e->uid = f[F_UID];
  e->gid = f[F_GID];
  e->nlink = f[F_NLINK];
  e->mtime = f[F_MTIME];
  e->data = a + data_off;
  e->size = f[F_FILESIZE];
  *pos = next;
  return 1;
}
