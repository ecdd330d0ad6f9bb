// The scheme registry and path dispatch, plus the two simplest schemes.
#include "proc.h"
#include "file.h"
#include "path.h"
#include "vcon.h"

// Every scheme, as data. The root file scheme has the empty name.
static const struct scheme *const schemes[] = {
    &ramfs_scheme, &null_scheme, &zero_scheme, &debug_scheme, &proc_scheme, &com2_scheme,
    &ctty_scheme, &vcon_scheme,
};

const struct scheme *scheme_find(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
    if (strcmp(schemes[i]->name, name) == 0)
      return schemes[i];
  return NULL;
}

// Open path (absolute, relative to the cwd, or scheme-qualified) into a new file.
// /proc is the proc: scheme, as on Linux.
static void proc_redirect(const struct scheme **s, const char **rest) {
  const char *r = *rest;
  if (strncmp(r, "/proc", 5) == 0 && (r[5] == 0 || r[5] == '/')) {
    *s = &proc_scheme;
    *rest = r[5] ? r + 6 : "";
  }
}

// Open path into an existing file (a link in another scheme points there).
int vfs_reopen(struct file *f, const char *path, int flags) {
  struct file *n;
  int r = vfs_open(path, flags, 0, &n);
  if (r < 0)
    return r;
  f->scheme = n->scheme;
  f->priv = n->priv;
  kfree(n);
  return 0;
}

int vfs_open(const char *path, int flags, int mode, struct file **out) {
  char scheme_name[SCHEME_NAME_MAX];
  const char *rest;
  int r = path_scheme(path, scheme_name, &rest);
  if (r < 0)
    return r;
  const struct scheme *s = scheme_find(scheme_name);
  if (!s)
    return -ENOENT;
  char *clean = NULL;
  if (s == &ramfs_scheme) { // the root scheme takes clean absolute paths
    clean = kmalloc(PATH_MAX_K);
    if (!clean)
      return -ENOMEM;
    r = path_clean(myproc() ? myproc()->cwd : "/", path, clean, PATH_MAX_K);
    if (r < 0)
      goto out;
    rest = clean;
    proc_redirect(&s, &rest);
  }
  struct file *f = kmalloc(sizeof *f);
  r = -ENOMEM;
  if (!f)
    goto out;
  *f = (struct file){.scheme = s, .refs = 1, .flags = flags};
  r = s->open(f, rest, flags, mode);
  if (r < 0)
    kfree(f);
  else
    *out = f;
out:
  kfree(clean);
  return r < 0 ? r : 0;
}

// ---- null: reads end at once, writes vanish ----
static int null_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)flags, (void)mode;
  return rest[0] ? -ENOENT : 0;
}
static long null_read(struct file *f, void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)n, (void)off;
  return 0;
}
static long null_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)off;
  return n;
}
static long dev_seek(struct file *f, int64_t off, int whence) {
  (void)off, (void)whence;
  f->off = 0; // like Linux's /dev/null and /dev/zero: seeking always succeeds, to 0
  return 0;
}
static int chardev_stat(struct file *f, struct stat *st, uint64_t rdev) {
  (void)f;
  *st = (struct stat){.st_mode = S_IFCHR | 0666, .st_nlink = 1, .st_rdev = rdev,
                      .st_blksize = 4096, .st_ino = rdev};
  return 0;
}
static int null_stat(struct file *f, struct stat *st) { return chardev_stat(f, st, 0x103); }
static int zero_stat(struct file *f, struct stat *st) { return chardev_stat(f, st, 0x105); }

const struct scheme null_scheme = {
    .name = "null", .open = null_open, .read = null_read, .write = null_write,
    .seek = dev_seek, .stat = null_stat,
};

// ---- zero: endless zero bytes ----
static long zero_read(struct file *f, void *buf, size_t n, uint64_t off) {
  (void)f, (void)off;
  memset(buf, 0, n);
  return n;
}

const struct scheme zero_scheme = {
    .name = "zero", .open = null_open, .read = zero_read, .write = null_write,
    .seek = dev_seek, .stat = zero_stat,
};

// The scheme and the rest of a path; for the root scheme, rest is made clean and
// absolute in buf (PATH_MAX_K bytes).
static int split(const char *path, char *buf, const struct scheme **s, const char **rest) {
  char name[SCHEME_NAME_MAX];
  int r = path_scheme(path, name, rest);
  if (r < 0)
    return r;
  if (!(*s = scheme_find(name)))
    return -ENOENT;
  if (*s != &ramfs_scheme)
    return 0;
  r = path_clean(myproc() ? myproc()->cwd : "/", path, buf, PATH_MAX_K);
  *rest = buf;
  proc_redirect(s, rest);
  return r < 0 ? r : 0;
}

// split() into a new PATH_MAX_K buffer, which the caller frees (even after an error).
static int split_new(const char *path, char **buf, const struct scheme **s, const char **rest) {
  *buf = kmalloc(PATH_MAX_K);
  return *buf ? split(path, *buf, s, rest) : -ENOMEM;
}

int vfs_stat(const char *path, bool follow, struct stat *st) {
  char *buf;
  const struct scheme *s;
  const char *rest;
  int r = split_new(path, &buf, &s, &rest);
  if (r == 0 && s == &ramfs_scheme) {
    r = ramfs_stat_path(rest, follow, st);
  } else if (r == 0 && s->stat_path) {
    r = s->stat_path(rest, follow, st);
  } else if (r == 0) { // other schemes: stat through an open file
    struct file *f;
    r = vfs_open(path, O_RDONLY | (follow ? 0 : O_NOFOLLOW), 0, &f);
    if (r == 0) {
      r = f->scheme->stat ? f->scheme->stat(f, st) : -EACCES;
      file_put(f);
    }
  }
  kfree(buf);
  return r;
}

long vfs_readlink(const char *path, char *out, size_t n) {
  char *buf;
  const struct scheme *s;
  const char *rest;
  long r = split_new(path, &buf, &s, &rest);
  if (r == 0)
    r = s == &ramfs_scheme ? ramfs_readlink(rest, out, n)
        : s == &proc_scheme ? procfs_readlink(rest, out, n) : -EINVAL;
  kfree(buf);
  return r;
}

// access(2): checked against the real ids, as Linux does.
int vfs_access(const struct stat *st, int mode) {
  struct proc *p = myproc();
  uint32_t m = st->st_mode;
  if (p->ruid == 0)
    return (mode & 1) && !S_ISDIR(m) && !(m & 0111) ? -EACCES : 0;
  int bits = p->ruid == st->st_uid ? (m >> 6) & 7 : p->rgid == st->st_gid ? (m >> 3) & 7 : m & 7;
  return (bits & mode) == mode ? 0 : -EACCES;
}
