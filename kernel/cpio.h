// Reader for cpio "newc" archives (the initramfs). Pure, unit-tested on the host.
#pragma once
#include "types.h"

struct cpio_entry {
  const char *name;   // not NUL-terminated in the archive: use namelen
  size_t namelen;     // without the terminating NUL
  uint32_t ino, mode, uid, gid, nlink, mtime;
  const void *data;   // file contents (or symlink target) inside the archive
  size_t size;
};

// Read the entry at *pos and advance *pos past it (4-byte padding included).
// Returns 1 with *e filled, 0 at the "TRAILER!!!" entry or the end of the archive,
// -EINVAL if the header is malformed or any part runs past size.
// Strict: exactly 8 hex digits per field, namesize includes the name's only NUL, *pos
// must be 4-aligned, and an entry's padding must be inside the buffer. At the trailer
// *pos is left on it (what follows, e.g. block padding, is not examined).
int cpio_next(const void *archive, size_t size, size_t *pos, struct cpio_entry *e);
